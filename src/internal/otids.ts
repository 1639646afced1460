/**
 * Client-generated `otid`s for sends (PROTOCOL.md §10). Each message of a send gets one,
 * made once per call and sent unchanged on every attempt of that call, so that a server
 * that deduplicates (background conversation streams) can recognise a repeated request, and
 * so that a run can be found by the otid of its input (`/conversations/{id}/stream`).
 *
 * The `input` shorthand is turned into the one message the server would make of it:
 * `LettaRequest.validate_input_or_messages` replaces `input` with
 * `messages = [MessageCreate(role="user", content=input)]` before anything else reads the
 * request, and nothing reads `input` afterwards, so sending that message ourselves (with
 * its otid) is the same request. Without it the server would give the message a random
 * otid on every attempt, and no retry of it could ever be recognised.
 */
import { Effect } from "effect"

/** The part of a send body that holds its messages. */
interface SendBody {
  readonly input?: unknown
  readonly messages?: ReadonlyArray<unknown> | null | undefined
}

const hasOtid = (item: object): boolean => {
  const otid = (item as { readonly otid?: unknown }).otid
  // The server treats an empty otid as none (`if msg.otid`).
  return typeof otid === "string" && otid !== ""
}

/**
 * `body` with an otid on each message (a caller's own otid is kept) and `input` written as
 * its user message, plus the otids in message order.
 */
export const withOtids = <B extends SendBody>(body: B): Effect.Effect<{ readonly body: B; readonly otids: ReadonlyArray<string> }> =>
  Effect.sync(() => {
    const { input, ...rest } = body
    const messages: ReadonlyArray<unknown> = input !== undefined && input !== null
      ? [{ type: "message", role: "user", content: input }]
      : body.messages ?? []
    const otids: Array<string> = []
    const stamped = messages.map((item) => {
      if (typeof item !== "object" || item === null) return item
      const withOtid = hasOtid(item) ? item : { ...item, otid: crypto.randomUUID() }
      otids.push((withOtid as { readonly otid: string }).otid)
      return withOtid
    })
    return { body: { ...rest, messages: stamped } as unknown as B, otids }
  })

/** As `withOtids`, recording the otids on the current span (the operation's). */
export const stampSend = <B extends SendBody>(body: B): Effect.Effect<B> =>
  Effect.flatMap(withOtids(body), ({ body, otids }) => Effect.as(Effect.annotateCurrentSpan("letta.otids", otids), body))
