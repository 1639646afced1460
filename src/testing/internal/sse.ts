/**
 * The transport half of a foreground stream, layered like the real server's
 * wrappers around the agent stream:
 *
 * 1. the agent side (`error_aware_stream` and the agent loop) runs in its own
 *    fiber and hands over one event at a time (a queue of one, like the
 *    keepalive wrapper's reader task);
 * 2. `prepend_initial_run_ping` puts a ping carrying the run id first;
 * 3. `cancellation_aware_stream_wrapper` looks at the run whenever a chunk
 *    flows, at most every 0.5 s, and once it reads `cancelled` writes its own
 *    `json.dumps` stop reason and stops the agent side, which then records
 *    nothing (one more chunk slips out when the initial ping is off, because
 *    the wrapper then talks to the agent stream directly);
 * 4. `add_keepalive_to_stream` (only with `include_pings`) writes a ping after
 *    each `keepaliveInterval` without an event and ends the body once only
 *    pings have flowed for longer than `maxStreamSilence`;
 * 5. `/cut n` destroys the socket after the n-th event written.
 *
 * Writing to a client that went away is skipped while the run goes on, as the
 * shielded real response does. Events stay structured until written, so a
 * background writer can later number them (`seq_id`) and store them for replay.
 */
import { Clock, Duration, Effect, Fiber, Option, Queue } from "effect"
import * as Wire from "./wire.js"

/**
 * One SSE event before framing. `wrapper` marks what the real server writes
 * above the cancellation wrapper (so no cancellation check runs on it) when a
 * scripted ending stands in for it.
 */
export type SseEvent =
  /** `data: <compact JSON>`: everything pydantic's `model_dump_json()` writes */
  | { readonly _tag: "Data"; readonly payload: Wire.WireObject }
  /** `data: <json.dumps(...)>`: the cancellation wrapper's stop reason */
  | { readonly _tag: "Dumps"; readonly payload: Readonly<Record<string, unknown>>; readonly wrapper: true }
  /** `event: <name>` plus its already serialized data */
  | {
    readonly _tag: "Named"
    readonly event: "error" | "cancelled"
    readonly data: string
    readonly wrapper?: true | undefined
  }
  /** `data: [DONE]` */
  | { readonly _tag: "Done" }

export const data = (payload: Wire.WireObject): SseEvent => ({ _tag: "Data", payload })

export const done: SseEvent = { _tag: "Done" }

/** `event: error` with a `LettaErrorMessage` (pydantic JSON). */
export const errorEvent = (error: Wire.WireObject): SseEvent => ({
  _tag: "Named",
  event: "error",
  data: Wire.stringify(error)
})

/** The response wrapper's `event: error` for an exception after the response started (`json.dumps`). */
export const plainErrorEvent = (message: string): SseEvent => ({
  _tag: "Named",
  event: "error",
  data: Wire.dumps({ error: message, code: "INTERNAL_SERVER_ERROR" }),
  wrapper: true
})

/** The response wrapper's `event: cancelled` for a `RunCancelledException` that reached it. */
export const cancelledEvent: SseEvent = {
  _tag: "Named",
  event: "cancelled",
  data: Wire.dumps({ message: "Run was cancelled" }),
  wrapper: true
}

/** The cancellation wrapper's stop reason, spaces included. */
export const wrapperCancelled: SseEvent = {
  _tag: "Dumps",
  payload: { message_type: "stop_reason", stop_reason: "cancelled" },
  wrapper: true
}

export const render = (event: SseEvent): string => {
  switch (event._tag) {
    case "Data":
      return `data: ${Wire.stringify(event.payload)}\n\n`
    case "Dumps":
      return `data: ${Wire.dumps(event.payload)}\n\n`
    case "Named":
      return `event: ${event.event}\ndata: ${event.data}\n\n`
    case "Done":
      return "data: [DONE]\n\n"
  }
}

/** Where the HTTP layer lets a stream write. */
export interface SseSink {
  /** writes one framed event; a no-op once the socket is gone */
  readonly write: (frame: string) => Effect.Effect<void>
  /** destroys the socket (no terminal chunk) */
  readonly destroy: Effect.Effect<void>
}

/** Why the wrappers stopped the agent side before it finished. */
export type StopReason = "cancelled" | "silence"

export interface StreamOptions {
  readonly runId: string
  readonly includePings: boolean
  readonly keepaliveInterval: Duration.Duration
  readonly maxStreamSilence: Duration.Duration
  readonly cutAfter: number | undefined
  /** what the cancellation wrapper reads from the DB */
  readonly isCancelled: () => boolean
  /** the agent side; it finalizes the run itself when it runs to its end */
  readonly produce: (emit: (event: SseEvent) => Effect.Effect<void>) => Effect.Effect<void>
  /** what the agent side's `finally` records when a wrapper stopped it */
  readonly onStopped: (reason: StopReason) => Effect.Effect<void>
}

// How often the cancellation wrapper may look at the run (`cancellation_check_interval`).
const cancellationCheckMillis = 500

type Item = { readonly _tag: "Event"; readonly event: SseEvent } | { readonly _tag: "End" }

/** The body of one foreground stream. */
export const stream = (options: StreamOptions) => (sink: SseSink): Effect.Effect<void> =>
  Effect.gen(function*() {
    const queue = yield* Queue.bounded<Item>(1)
    const producer = yield* Effect.fork(
      options.produce((event) => Queue.offer(queue, { _tag: "Event", event })).pipe(
        Effect.zipRight(Queue.offer(queue, { _tag: "End" }))
      )
    )

    let written = 0
    const send = (event: SseEvent): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (options.cutAfter !== undefined && written >= options.cutAfter) return Effect.void
        written += 1
        return sink.write(render(event)).pipe(
          Effect.zipRight(written === options.cutAfter ? sink.destroy : Effect.void)
        )
      })
    if (options.cutAfter === 0) yield* sink.destroy

    const stop = (reason: StopReason) => Fiber.interrupt(producer).pipe(Effect.zipRight(options.onStopped(reason)))

    const startedAt = yield* Clock.currentTimeMillis
    let lastCheck = startedAt
    let lastData = startedAt

    // The cancellation wrapper; "stop" once it has ended the stream.
    const pass = (event: SseEvent) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        lastData = now
        const fromWrapper = event._tag !== "Data" && event._tag !== "Done" && event.wrapper === true
        if (!fromWrapper && now - lastCheck >= cancellationCheckMillis) {
          lastCheck = now
          if (options.isCancelled()) {
            yield* send(wrapperCancelled)
            if (!options.includePings) yield* send(event)
            yield* stop("cancelled")
            return "stop" as const
          }
        }
        yield* send(event)
        return "continue" as const
      })

    if (options.includePings) {
      const ping = data(Wire.ping(options.runId, startedAt))
      if ((yield* pass(ping)) === "stop") return
    }
    while (true) {
      const next = options.includePings
        ? yield* Effect.timeoutOption(Queue.take(queue), options.keepaliveInterval)
        : Option.some(yield* Queue.take(queue))
      if (Option.isNone(next)) {
        const now = yield* Clock.currentTimeMillis
        if (now - lastData > Duration.toMillis(options.maxStreamSilence)) return yield* stop("silence")
        yield* send(data(Wire.ping(options.runId, now)))
        continue
      }
      if (next.value._tag === "End") return
      if ((yield* pass(next.value.event)) === "stop") return
    }
  })
