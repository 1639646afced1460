/**
 * SSE frames as the Letta server writes them, and helpers to read a stream's outcome, for
 * wire tests against `sseServer.ts`.
 */
import { Effect, Exit, Stream } from "effect"
import type { Schemas } from "effect-letta"

export const agentId = "agent-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00"
export const runId = "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"

/** A frame as the server writes it. */
export const frame = (fields: Record<string, unknown>) => `data: ${JSON.stringify(fields)}\n\n`
export const message = (type: string, fields: Record<string, unknown>, seq: number | null = null) =>
  frame({
    id: "message-1",
    date: "2026-08-01T12:00:00+00:00",
    name: null,
    message_type: type,
    otid: "otid-1",
    sender_id: null,
    step_id: null,
    is_err: null,
    seq_id: seq,
    run_id: runId,
    ...fields
  })
export const ping = (seq: number | null = null) => message("ping", {}, seq)
export const assistant = (text: string, seq: number | null = null) => message("assistant_message", { content: text }, seq)
export const stop = (reason: string) => frame({ message_type: "stop_reason", stop_reason: reason })
export const usage = frame({ message_type: "usage_statistics", completion_tokens: 1, prompt_tokens: 2, total_tokens: 3 })
export const done = "data: [DONE]\n\n"
/** `event: error` with a `LettaErrorMessage`, as the server ends a failed turn. */
export const errorEvent = (seq: number | null = null) =>
  `event: error\ndata: ${
    JSON.stringify({
      message_type: "error_message",
      run_id: runId,
      error_type: "internal_error",
      message: "An error occurred",
      detail: "boom",
      seq_id: seq
    })
  }\n\n`

/** Everything a stream delivered, and how it ended. */
export const collect = <E>(stream: Stream.Stream<Schemas.LettaStreamingMessage, E>) =>
  Effect.gen(function*() {
    const items: Array<Schemas.LettaStreamingMessage> = []
    const exit = yield* Stream.runForEach(stream, (item) => Effect.sync(() => items.push(item))).pipe(Effect.exit)
    return { items, types: items.map((m) => m.message_type), exit }
  })

/** The error a stream failed with. */
export const failureOf = <E>(exit: Exit.Exit<void, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("the stream succeeded")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`not a plain failure: ${String(exit.cause)}`)
  return failure
}
