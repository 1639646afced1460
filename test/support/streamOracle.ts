/**
 * What a Letta stream must deliver for a given body, worked out independently of the client:
 * the reference SSE parser, `JSON.parse`, Effect's own Schema decoder (not the client's fast
 * path) and the end-of-stream rules of the README, event by event. The fuzz tests compare
 * what the client delivered and how it ended against this, so no data is lost or invented.
 */
import { Either, Schema } from "effect"
import { type LettaError, Schemas } from "effect-letta"
import { referenceParse } from "./sseReference.js"

/** How the body ends after the bytes given: a clean EOF, a dropped connection, or silence. */
export type Ending = "end" | "drop" | "silent"

export interface StreamCase {
  readonly bytes: Uint8Array
  readonly ending: Ending
  readonly includePings: boolean
  readonly onMalformedEvent: "fail" | "skip"
  readonly maxEventSize: number
}

export interface Expected {
  readonly messages: ReadonlyArray<Schemas.LettaStreamingMessage>
  /** `undefined`: the stream succeeds. */
  readonly error: LettaError.LettaError["_tag"] | undefined
}

const decodeMessage = Schema.decodeUnknownEither(Schemas.LettaStreamingMessage)

export const expectedOutcome = (input: StreamCase): Expected => {
  // `stream: true`: an incomplete character at the very end never arrived.
  const text = new TextDecoder().decode(input.bytes, { stream: true })
  const parsed = referenceParse(text, input.maxEventSize)
  const messages: Array<Schemas.LettaStreamingMessage> = []
  const end = (error: Expected["error"]): Expected => ({ messages, error })
  for (const item of parsed.items) {
    if (item._tag !== "Event") continue
    if (item.event === "error") return end("StreamError")
    if (item.event === "cancelled") return end("StreamCancelledError")
    if (item.data === "[DONE]") return end(undefined)
    let json: unknown
    try {
      json = JSON.parse(item.data)
    } catch {
      if (input.onMalformedEvent === "fail") return end("DecodeError")
      continue
    }
    let decoded: Either.Either<Schemas.LettaStreamingMessage, unknown>
    try {
      decoded = decodeMessage(json)
    } catch (error) {
      // Effect's decoder throws on a few values (a discriminator `String` cannot convert);
      // for the client those are frames that do not decode.
      decoded = Either.left(error)
    }
    if (Either.isLeft(decoded)) {
      if (input.onMalformedEvent === "fail") return end("DecodeError")
      continue
    }
    const message = decoded.right
    if (message.message_type === "ping" && !input.includePings) continue
    messages.push(message)
    if (message.message_type === "stop_reason" && message.stop_reason === "cancelled") {
      return end("StreamCancelledError")
    }
  }
  if (parsed.tooLarge) return end("DecodeError")
  return end(input.ending === "silent" ? "TimeoutError" : "StreamTruncatedError")
}
