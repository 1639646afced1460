/**
 * The server side of a `background: true` stream: the agent turn runs in a
 * server fiber (`create_background_stream_processor`) that stores every chunk
 * in the run's Redis stream through a `RedisSSEStreamWriter`, whatever happens
 * to the clients reading it.
 *
 * - The agent side is the foreground one (initial ping, cancellation wrapper),
 *   but nothing paces it: no keepalive pings, no `/cut`.
 * - Each chunk gets the next `seq_id` (from 1) and is buffered; the buffer is
 *   flushed (`XADD` per chunk, then `EXPIRE`) at 50 chunks, at a complete
 *   chunk, when more than 0.5 s passed since the last flush, or by the
 *   periodic flusher that ticks every 0.5 s from the writer's start.
 * - The first `[DONE]` or `event: error` chunk is stored as `complete` and the
 *   agent stream is closed there; a stream that ends without one gets a
 *   synthesized `[DONE]` (after a stop reason) or the `stream_incomplete` error.
 * - Exceptions that reach the processor instead of the response wrapper: the
 *   scripted `error-plain` ending becomes an `internal_error` (stop reason,
 *   error event, `[DONE]`), `cancelled-event` becomes a bare `[DONE]`.
 * - Then the lock is freed, the run gets its terminal update from the last
 *   stop reason seen (an error event's payload as its `metadata.error`), and
 *   one more `[DONE]` is appended as its own complete entry; the writer has
 *   forgotten the run by then, so that entry's `seq_id` is 1 again.
 */
import { Clock, Effect, Fiber } from "effect"
import type * as Scope from "effect/Scope"
import * as AgentStream from "./agentStream.js"
import type { Chunk } from "./redisStreams.js"
import * as Runs from "./runs.js"
import * as Sse from "./sse.js"
import type { ServerState } from "./state.js"
import * as Wire from "./wire.js"

const flushSize = 50
const flushIntervalMillis = 500
const doneChunk = Sse.render(Sse.done)

/** `RedisSSEStreamWriter` as one run uses it. */
const writer = (state: ServerState, runId: string): Effect.Effect<
  { readonly write: (data: string, complete: boolean) => Effect.Effect<void> },
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const startedAt = yield* Clock.currentTimeMillis
    let seqId = 1
    let buffer: Array<Chunk> = []
    // Never flushed: the first chunk goes out at once.
    let lastFlush = Number.NEGATIVE_INFINITY
    let flusher: Fiber.RuntimeFiber<void> | undefined

    const flush = (now: number) => {
      if (buffer.length === 0) return
      const chunks = buffer
      buffer = []
      state.redis.streams.append(runId, chunks, now, state.maxStreamLength)
      lastFlush = now
      // `_cleanup_run`: a complete chunk makes the writer forget the run, counter included.
      if (chunks[chunks.length - 1]!.complete) {
        seqId = 1
        lastFlush = Number.NEGATIVE_INFINITY
      }
    }

    // `_periodic_flush`, run only while chunks wait: it wakes on the writer's 0.5 s ticks.
    const periodic = Effect.gen(function*() {
      while (buffer.length > 0) {
        const now = yield* Clock.currentTimeMillis
        const ticks = Math.floor((now - startedAt) / flushIntervalMillis) + 1
        yield* Effect.sleep(startedAt + ticks * flushIntervalMillis - now)
        const at = yield* Clock.currentTimeMillis
        if (buffer.length > 0 && at - lastFlush > flushIntervalMillis) flush(at)
      }
    })

    const write = (data: string, complete: boolean) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        buffer.push({ seqId: seqId++, data, complete })
        if (buffer.length >= flushSize || complete || now - lastFlush > flushIntervalMillis) return flush(now)
        if (flusher === undefined || flusher.unsafePoll() !== null) flusher = yield* Effect.forkIn(periodic, scope)
      })
    return { write }
  })

// The processor's checks, on the chunk text (at a line start, so message content cannot fake them).
const isDone = (chunk: string) => chunk.startsWith("data: [DONE]") || chunk.includes("\ndata: [DONE]")
const isError = (chunk: string) => chunk.startsWith("event: error") || chunk.includes("\nevent: error")

/** The first `data:` line of an error chunk, as the run's error metadata. */
const errorPayload = (chunk: string): unknown => {
  for (const line of chunk.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data: ")) continue
    const text = line.slice("data: ".length).trim()
    if (text === "" || !"[{".includes(text[0]!)) return { error: { message: text } }
    try {
      return { error: JSON.parse(text) }
    } catch {
      return { error: { message: "Failed to parse error payload from stream." } }
    }
  }
  return undefined
}

/** The stop reason a `stop_reason` chunk carries (`chunk.split("data: ")[1]`, parsed). */
const stopReasonIn = (chunk: string): { readonly value: string | null } | undefined => {
  const text = chunk.split("data: ")[1]
  if (text === undefined || !text.startsWith("{")) return undefined
  try {
    const parsed = JSON.parse(text)
    return parsed?.message_type === "stop_reason" ? { value: parsed.stop_reason ?? null } : undefined
  } catch {
    return undefined
  }
}

/**
 * The exception a wrapper-level event of a scripted ending stands for: in the
 * background it reaches the processor instead of the response wrapper.
 */
type Raised = { readonly _tag: "Exception"; readonly message: string } | { readonly _tag: "RunCancelled" }

const raisedBy = (event: Sse.SseEvent): Raised | undefined => {
  if (event._tag !== "Named" || event.wrapper !== true) return undefined
  return event.event === "cancelled"
    ? { _tag: "RunCancelled" }
    : { _tag: "Exception", message: String(JSON.parse(event.data).error) }
}

/** `create_background_stream_processor` for a run whose agent side is `ctx` (with `background` set). */
export const process = (state: ServerState, ctx: AgentStream.AgentStream): Effect.Effect<void> =>
  Effect.scoped(Effect.gen(function*() {
    const { run } = ctx
    const stream = yield* writer(state, run.id)
    const agent = yield* Sse.source({
      runId: run.id,
      initialPing: ctx.request.include_pings,
      cancellation: {
        isCancelled: () => state.store.runs.get(run.id)?.status === "cancelled",
        slip: !ctx.request.include_pings
      },
      produce: AgentStream.produce(ctx),
      onStopped: AgentStream.onStopped(ctx)
    })

    let stopReason: string | null = null
    let sawDone = false
    let sawError = false
    let errorMetadata: unknown = undefined
    let raised: Raised | undefined
    consume: while (true) {
      const pulled = yield* agent.pull(undefined)
      if (pulled._tag !== "Events") break
      for (const event of pulled.events) {
        raised = raisedBy(event)
        if (raised !== undefined) {
          yield* agent.close
          break consume
        }
        const chunk = Sse.render(event)
        sawDone ||= isDone(chunk)
        sawError ||= isError(chunk)
        if (sawError && errorMetadata === undefined) errorMetadata = errorPayload(chunk)
        const complete = sawDone || sawError
        yield* stream.write(chunk, complete)
        if (complete) {
          yield* agent.close
          break consume
        }
        stopReason = stopReasonIn(chunk)?.value ?? stopReason
      }
      // The cancellation wrapper ended the agent stream after its own stop reason.
      if (pulled.ended) break
    }

    const writeError = (errorType: string, message: string, detail: string | null) =>
      Effect.gen(function*() {
        yield* stream.write(Sse.render(Sse.data(Wire.stopReason("error"))), false)
        yield* stream.write(Sse.render(Sse.errorEvent(Wire.errorMessage(run.id, errorType, message, detail))), false)
        yield* stream.write(doneChunk, true)
        stopReason = "error"
        sawError = true
        sawDone = true
      })
    if (raised?._tag === "RunCancelled") {
      yield* stream.write(doneChunk, true)
      sawDone = true
    } else if (raised?._tag === "Exception") {
      // A LettaError: its text is both the message and the detail; the run fails right away.
      yield* writeError("internal_error", raised.message, raised.message)
      const now = yield* Clock.currentTimeMillis
      AgentStream.record(ctx, { status: "failed", stopReason: "error", error: raised.message }, now)
    } else if (!sawDone && !sawError) {
      if (stopReason !== null) {
        yield* stream.write(doneChunk, true)
        sawDone = true
      } else {
        yield* writeError("stream_incomplete", "Stream ended unexpectedly without stop_reason.", null)
      }
    }

    // The lock goes before the bookkeeping, so a client that saw [DONE] can send again at once.
    if (ctx.lockKey !== null) state.redis.releaseLock(ctx.lockKey)
    const final = stopReason ?? (sawError || sawDone ? "error" : null)
    if (final !== null) {
      const status = Runs.statusOf(final)
      const error = status === "failed" ? errorMetadata : undefined
      AgentStream.record(ctx, { status, stopReason: final, error }, yield* Clock.currentTimeMillis)
    }
    // `mark_complete`: the belt-and-braces [DONE] of the processor's `finally`.
    yield* stream.write(doneChunk, true)
  }))
