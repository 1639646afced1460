/**
 * The transport half of a stream, layered like the real server's wrappers
 * around the agent stream:
 *
 * 1. the agent side (`error_aware_stream` and the agent loop), or a Redis
 *    reader, runs in its own fiber and hands over one event at a time (a
 *    queue of one, like the keepalive wrapper's reader task);
 * 2. `prepend_initial_run_ping` puts a ping carrying the run id first;
 * 3. `cancellation_aware_stream_wrapper` looks at the run whenever a chunk
 *    flows, at most every 0.5 s, and once it reads `cancelled` passes on its
 *    own `json.dumps` stop reason and stops the agent side, which then records
 *    nothing (one more chunk slips out when the wrapper talks to the agent
 *    stream directly, without the initial ping generator in between);
 * 4. `add_keepalive_to_stream` (only with `include_pings`) writes a ping after
 *    each `keepaliveInterval` without an event, carrying the last numeric
 *    `seq_id` seen, and ends the body once only pings have flowed for longer
 *    than `maxStreamSilence`;
 * 5. `/cut n` destroys the socket after the n-th event written.
 *
 * Steps 1–3 are a `Source`, which a foreground response (`stream`) and the
 * background writer (`streamWriter.ts`) consume; steps 4–5 are `deliver`,
 * shared by foreground responses and Redis readers. Writing to a client that
 * went away is skipped while the run goes on, as the shielded real response
 * does.
 */
import { Clock, Duration, Effect, Fiber, Option, Queue } from "effect"
import type * as Scope from "effect/Scope"
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
  /** a frame stored in (and read back from) a Redis stream */
  | { readonly _tag: "Raw"; readonly frame: string }

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
    case "Raw":
      return event.frame
  }
}

/** A chunk read back from a Redis stream, already framed (and given its `seq_id`). */
export const raw = (frame: string): SseEvent => ({ _tag: "Raw", frame })

/** Where the HTTP layer lets a stream write. */
export interface SseSink {
  /** writes one framed event; a no-op once the socket is gone */
  readonly write: (frame: string) => Effect.Effect<void>
  /** destroys the socket (no terminal chunk) */
  readonly destroy: Effect.Effect<void>
}

/** Why the wrappers stopped the agent side before it finished. */
export type StopReason = "cancelled" | "silence"

export interface SourceOptions {
  readonly runId: string
  /** `prepend_initial_run_ping` */
  readonly initialPing: boolean
  /** `cancellation_aware_stream_wrapper`, where the chain has one */
  readonly cancellation?: {
    /** what the wrapper reads from the DB */
    readonly isCancelled: () => boolean
    /** whether the chunk in hand still goes out after the wrapper's stop reason */
    readonly slip: boolean
  } | undefined
  /** the agent side (or a Redis reader); the agent side finalizes the run itself when it runs to its end */
  readonly produce: (emit: (event: SseEvent) => Effect.Effect<void>) => Effect.Effect<void>
  /** what the agent side's `finally` records when a wrapper stopped it */
  readonly onStopped: (reason: StopReason) => Effect.Effect<void>
}

/** What one pull from a source gave. */
export type Pulled =
  /** events to pass on; `ended` when the cancellation wrapper has just stopped the agent side */
  | { readonly _tag: "Events"; readonly events: ReadonlyArray<SseEvent>; readonly ended: boolean }
  /** the agent side ran to its end */
  | { readonly _tag: "End" }
  /** nothing within the timeout */
  | { readonly _tag: "Idle" }

export interface Source {
  /** the next chunk, waiting at most `timeout` (none: as long as it takes) */
  readonly pull: (timeout: Duration.Duration | undefined) => Effect.Effect<Pulled>
  /** a wrapper gives up on the agent side: it is interrupted and records what its `finally` records */
  readonly stop: (reason: StopReason) => Effect.Effect<void>
  /** the consumer closes the agent side (`aclose`) after a terminal chunk: interrupted, nothing recorded */
  readonly close: Effect.Effect<void>
}

// How often the cancellation wrapper may look at the run (`cancellation_check_interval`).
const cancellationCheckMillis = 500

type Item = { readonly _tag: "Event"; readonly event: SseEvent } | { readonly _tag: "End" }

/** Steps 1–3: the agent side in a fiber of the scope, behind the initial ping and the cancellation wrapper. */
export const source = (options: SourceOptions): Effect.Effect<Source, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.bounded<Item>(1)
    const producer = yield* Effect.forkScoped(
      options.produce((event) => Queue.offer(queue, { _tag: "Event", event })).pipe(
        Effect.zipRight(Queue.offer(queue, { _tag: "End" }))
      )
    )
    const close = Fiber.interrupt(producer).pipe(Effect.asVoid)
    const stop = (reason: StopReason) => close.pipe(Effect.zipRight(options.onStopped(reason)))
    const startedAt = yield* Clock.currentTimeMillis
    let lastCheck = startedAt
    let pendingPing = options.initialPing

    // The cancellation wrapper, on one chunk that flows through it.
    const check = (event: SseEvent): Effect.Effect<Pulled> =>
      Effect.gen(function*() {
        const cancellation = options.cancellation
        const now = yield* Clock.currentTimeMillis
        const fromWrapper = (event._tag === "Named" || event._tag === "Dumps") && event.wrapper === true
        if (cancellation !== undefined && !fromWrapper && now - lastCheck >= cancellationCheckMillis) {
          lastCheck = now
          if (cancellation.isCancelled()) {
            yield* stop("cancelled")
            const events = cancellation.slip ? [wrapperCancelled, event] : [wrapperCancelled]
            return { _tag: "Events", events, ended: true }
          }
        }
        return { _tag: "Events", events: [event], ended: false }
      })

    const pull = (timeout: Duration.Duration | undefined): Effect.Effect<Pulled> =>
      Effect.gen(function*() {
        if (pendingPing) {
          pendingPing = false
          return yield* check(data(Wire.ping(options.runId, startedAt)))
        }
        const next = timeout === undefined
          ? Option.some(yield* Queue.take(queue))
          : yield* Effect.timeoutOption(Queue.take(queue), timeout)
        if (Option.isNone(next)) return { _tag: "Idle" } as const
        if (next.value._tag === "End") return { _tag: "End" } as const
        return yield* check(next.value.event)
      })

    return { pull, stop, close }
  })

export interface DeliverOptions {
  readonly runId: string
  /** `add_keepalive_to_stream` */
  readonly includePings: boolean
  readonly keepaliveInterval: Duration.Duration
  readonly maxStreamSilence: Duration.Duration
  readonly cutAfter: number | undefined
}

// What the keepalive wrapper's regex takes from each chunk for its pings.
const seqIdPattern = /"seq_id":(\d+)/

/** Steps 4–5: writes what the source gives to the sink, with keepalive pings and `/cut`. */
export const deliver = (source: Source, options: DeliverOptions, sink: SseSink): Effect.Effect<void> =>
  Effect.gen(function*() {
    let written = 0
    const send = (frame: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (options.cutAfter !== undefined && written >= options.cutAfter) return Effect.void
        written += 1
        return sink.write(frame).pipe(
          Effect.zipRight(written === options.cutAfter ? sink.destroy : Effect.void)
        )
      })
    if (options.cutAfter === 0) yield* sink.destroy

    let lastData = yield* Clock.currentTimeMillis
    let lastSeqId: number | null = null
    while (true) {
      const pulled = yield* source.pull(options.includePings ? options.keepaliveInterval : undefined)
      switch (pulled._tag) {
        case "End":
          return
        case "Idle": {
          const now = yield* Clock.currentTimeMillis
          if (now - lastData > Duration.toMillis(options.maxStreamSilence)) return yield* source.stop("silence")
          yield* send(render(data({ ...Wire.ping(options.runId, now), seq_id: lastSeqId })))
          break
        }
        case "Events": {
          lastData = yield* Clock.currentTimeMillis
          for (const event of pulled.events) {
            const frame = render(event)
            const seqId = seqIdPattern.exec(frame)
            if (seqId !== null) lastSeqId = Number(seqId[1])
            yield* send(frame)
          }
          if (pulled.ended) return
        }
      }
    }
  })

/** The body of one foreground stream. */
export const stream = (options: DeliverOptions & {
  /** what the cancellation wrapper reads from the DB */
  readonly isCancelled: () => boolean
  readonly produce: SourceOptions["produce"]
  readonly onStopped: SourceOptions["onStopped"]
}) =>
(sink: SseSink): Effect.Effect<void> =>
  Effect.scoped(Effect.gen(function*() {
    const agent = yield* source({
      runId: options.runId,
      initialPing: options.includePings,
      // Without the initial ping generator the wrapper throws straight into the agent stream,
      // which yields once more, so the chunk in hand still goes out.
      cancellation: { isCancelled: options.isCancelled, slip: !options.includePings },
      produce: options.produce,
      onStopped: options.onStopped
    })
    yield* deliver(agent, options, sink)
  }))
