/**
 * The client side of background streams: `redis_sse_stream_generator` reading
 * a run's Redis stream back, and the responses built on it (the answer to a
 * `background: true` send, its deduplicated retry, and the two resume
 * endpoints).
 *
 * The reader follows the real loop: `XRANGE` from its last entry id
 * (inclusive, so that entry is skipped) in batches of `batch_size`, passing on
 * the entries with `seq_id > starting_after` with their `"seq_id":null` and
 * `"run_id":null` filled in, and returning right after the entry marked
 * `complete`. When it has caught up (or the key is missing or expired: then
 * it never ends) it waits for the writer's next flush instead of polling every
 * `poll_interval`: it reads the same entries, only sooner, and a `TestClock`
 * does not have to drive its polls. What the real loop raises still happens:
 * `batch_size < 1` fails redis-py's `XRANGE`, and a `poll_interval` of `None`
 * fails `asyncio.sleep` the first time the reader has to wait.
 */
import { Clock, Effect } from "effect"
import * as Errors from "./errors.js"
import * as P from "./pydantic.js"
import type { Entry } from "./redisStreams.js"
import type { Response } from "./response.js"
import * as Sse from "./sse.js"
import type { ServerState } from "./state.js"
import type { RunRecord } from "./store.js"

/** `RetrieveStreamRequest`, the body of both resume endpoints. */
export interface RetrieveStreamRequest {
  readonly agentId: string | null
  readonly runId: string | null
  readonly otid: string | null
  readonly startingAfter: number
  readonly includePings: boolean | null
  readonly pollInterval: number | null
  readonly batchSize: number | null
}

const retrieveStreamModel = P.model({
  agent_id: P.withDefault(P.optional(P.str), null),
  run_id: P.withDefault(P.optional(P.str), null),
  otid: P.withDefault(P.optional(P.str), null),
  starting_after: P.withDefault(P.int, 0),
  include_pings: P.withDefault(P.optional(P.bool), true),
  poll_interval: P.withDefault(P.optional(P.float), 0.1),
  batch_size: P.withDefault(P.optional(P.int), 100)
})

export const retrieveStreamRequest = (body: unknown): P.Result<RetrieveStreamRequest> => {
  const r = retrieveStreamModel(body, ["body"])
  if (!r.ok) return r
  const v = r.value
  return P.ok({
    agentId: v["agent_id"] as string | null,
    runId: v["run_id"] as string | null,
    otid: v["otid"] as string | null,
    startingAfter: v["starting_after"] as number,
    includePings: v["include_pings"] as boolean | null,
    pollInterval: v["poll_interval"] as number | null,
    batchSize: v["batch_size"] as number | null
  })
}

/** How old (by `created_at`) a run may be for its stream to be read back. */
const retentionMillis = 3 * 60 * 60 * 1000

/** The resume endpoints refuse runs created more than three hours ago. */
export const checkAge = (run: RunRecord, now: number): Effect.Effect<void, Errors.HttpError> =>
  run.createdAt < now - retentionMillis ? Effect.fail(Errors.streamExpired()) : Effect.void

export interface ReadOptions {
  readonly runId: string
  readonly startingAfter: number
  /** `null` where the endpoint passes `None` */
  readonly pollInterval: number | null
  /** `null`: no `COUNT` */
  readonly batchSize: number | null
}

export interface ReaderOptions extends ReadOptions {
  /** `add_keepalive_to_stream` */
  readonly includePings: boolean
  /** `cancellation_aware_stream_wrapper` (the resume endpoints have it, send responses do not) */
  readonly cancellable: boolean
  /** the send's `/cut` directive */
  readonly cutAfter: number | undefined
}

// The exceptions the real reader raises, as `str(e)`.
const countError = "XRANGE count must be a positive integer"
const sleepError = "'<=' not supported between instances of 'NoneType' and 'int'"

/** What the reader does with one `XRANGE` answer, from its last entry id on. */
const scan = (entries: ReadonlyArray<Entry>, last: number | undefined, startingAfter: number) => {
  const out: Array<Entry> = []
  for (const entry of entries) {
    if (entry.id === last) continue
    if (entry.seqId > startingAfter) {
      out.push(entry)
      if (entry.complete) return { out, last, complete: true, wait: false }
    }
    last = entry.id
  }
  // Only an empty answer, or one holding just the entry it already had, makes it sleep.
  const wait = entries.length === 0 || (entries.length === 1 && entries[0]!.id === last)
  return { out, last, complete: false, wait }
}

const frame = (runId: string, entry: Entry): string =>
  entry.data.replaceAll("\"run_id\":null", `"run_id":"${runId}"`).replaceAll(
    "\"seq_id\":null",
    `"seq_id":${entry.seqId}`
  )

/** `redis_sse_stream_generator`; fails with the text of what the real one raises. */
const read = (state: ServerState, options: ReadOptions) => (emit: (event: Sse.SseEvent) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const streams = state.redis.streams
    let last: number | undefined
    while (true) {
      if (options.batchSize !== null && options.batchSize < 1) return yield* Effect.fail(countError)
      const version = streams.version(options.runId)
      const entries = streams.range(options.runId, last, options.batchSize, yield* Clock.currentTimeMillis)
      const step = scan(entries, last, options.startingAfter)
      for (const entry of step.out) yield* emit(Sse.raw(frame(options.runId, entry)))
      if (step.complete) return
      last = step.last
      if (step.wait) {
        if (options.pollInterval === null) return yield* Effect.fail(sleepError)
        yield* streams.awaitAppend(options.runId, version)
      }
    }
  })

/** Whether the reader raises before it yields anything (the stream is what it is right now). */
const failsAtOnce = (state: ServerState, options: ReadOptions, now: number): boolean => {
  if (options.batchSize !== null && options.batchSize < 1) return true
  let last: number | undefined
  while (true) {
    const entries = state.redis.streams.range(options.runId, last, options.batchSize, now)
    const step = scan(entries, last, options.startingAfter)
    if (step.out.length > 0) return false
    if (step.wait) return options.pollInterval === null
    last = step.last
  }
}

/**
 * A reader as the response body. When the reader raises before its first
 * chunk, the real response sends a 500 status line and drops the connection;
 * here that is an empty 500 with `connection: close`. A later failure is the
 * response wrapper's `event: error`, except under the keepalive wrapper, whose
 * reader task swallows it and just ends the body.
 */
export const response = (state: ServerState, options: ReaderOptions, now: number): Response => {
  if (failsAtOnce(state, options, now)) {
    return {
      _tag: "Raw",
      status: 500,
      headers: { "content-type": "text/event-stream; charset=utf-8", connection: "close" },
      body: ""
    }
  }
  const produce = (emit: (event: Sse.SseEvent) => Effect.Effect<void>) =>
    read(state, options)(emit).pipe(
      Effect.catchAll((message) => options.includePings ? Effect.void : emit(Sse.plainErrorEvent(message)))
    )
  return {
    _tag: "Sse",
    runId: options.runId,
    body: (sink) =>
      Effect.scoped(Effect.gen(function*() {
        const reader = yield* Sse.source({
          runId: options.runId,
          initialPing: false,
          cancellation: options.cancellable
            ? { isCancelled: () => state.store.runs.get(options.runId)?.status === "cancelled", slip: false }
            : undefined,
          produce,
          // The keepalive wrapper just cancels its reader task.
          onStopped: () => Effect.void
        })
        yield* Sse.deliver(reader, {
          ...options,
          keepaliveInterval: state.keepaliveInterval,
          maxStreamSilence: state.maxStreamSilence
        }, sink)
      }))
  }
}

/** A resume endpoint's reader for `run`, from its (optional) body. */
export const resume = (
  state: ServerState,
  run: RunRecord,
  request: RetrieveStreamRequest | null,
  now: number
): Response =>
  response(state, {
    runId: run.id,
    // Without a body the conversations endpoint passes None for all of these.
    startingAfter: request?.startingAfter ?? 0,
    pollInterval: request === null ? null : request.pollInterval,
    batchSize: request === null ? null : request.batchSize,
    includePings: request?.includePings === true,
    cancellable: true,
    cutAfter: undefined
  }, now)
