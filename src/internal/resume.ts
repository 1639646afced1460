/**
 * Streams that outlive their connection. A background run keeps every event in the
 * server's store with a `seq_id` (PROTOCOL.md §2), so when its connection drops, ends
 * without a terminal event or goes silent, the stream goes on with
 * `POST /v1/runs/{run_id}/stream {"starting_after": lastSeqId}`: the caller sees one stream,
 * nothing lost and nothing twice. The same supervision asks the server to cancel the run
 * when the consumer stops early (`cancelOnInterrupt`), for any stream.
 *
 * Built over `streamMessages`, which keeps the end-of-stream rules and time limits of each
 * connection; this module only decides what happens between connections.
 */
import { Channel, type Chunk, Duration, Effect, Either, Schedule, Stream, type Tracer } from "effect"
import * as LettaError from "../LettaError.js"
import type { LettaStreamingMessage } from "../schema/messages.js"
import * as Streaming from "../Streaming.js"
import { cancelQuietly } from "./cancel.js"
import { type StreamSettings, type StreamSpan, streamMessages } from "./lettaStream.js"
import { path } from "./path.js"
import type { Transport } from "./transport.js"
import { unwrap, unwrapScoped } from "./unwrap.js"

/** The fields of a stream-resume body besides `starting_after`. */
export interface ResumeBody {
  readonly include_pings?: boolean | null | undefined
  readonly poll_interval?: number | null | undefined
  readonly batch_size?: number | null | undefined
}

/**
 * Opens `POST /v1/runs/{run_id}/stream`. The body is always JSON: the server reads its
 * fields without checking that there is one, and fails with a 500 on an empty body. It
 * reports to `span` when given one (a supervised stream's), else to a `Runs.stream` span of
 * its own, under `parent` with `attributes` added.
 */
export const runStream = (
  transport: Transport,
  runId: string,
  body: ResumeBody & { readonly starting_after: number },
  settings: StreamSettings,
  span: Tracer.Span | {
    readonly attributes?: Readonly<Record<string, unknown>> | undefined
    readonly parent?: Tracer.AnySpan | undefined
  } = {}
): Stream.Stream<LettaStreamingMessage, LettaError.LettaError> =>
  Effect.map(
    transport.buildRequest({
      operation: "Runs.stream",
      method: "POST",
      path: path`/v1/runs/${runId}/stream`,
      body,
      accept: "text/event-stream"
    }),
    (request) =>
      streamMessages(
        transport,
        request,
        settings,
        "_tag" in span ? span : {
          name: "Runs.stream",
          attributes: { "letta.run_id": runId, "letta.starting_after": body.starting_after, ...span.attributes },
          parent: span.parent
        }
      )
  ).pipe(unwrap)

/** What `StreamOptions.resume` asks for, or `undefined` for no resuming. */
export const resumeSchedule = (
  options: Streaming.StreamOptions | undefined
): Schedule.Schedule<unknown, LettaError.LettaError> | undefined => {
  const resume = options?.resume
  if (resume === false) return undefined
  return resume === undefined || resume === true ? Streaming.defaultResumeSchedule : resume
}

/**
 * How a streaming send resumes: only with `background: true` (a foreground run keeps no
 * stream to resume from), with pings as the send asked for them.
 */
export const sendResume = (
  body: { readonly background?: boolean | null | undefined; readonly include_pings?: boolean | null | undefined },
  options: Streaming.StreamOptions | undefined
): Supervision["resume"] => {
  const schedule = body.background === true ? resumeSchedule(options) : undefined
  return schedule === undefined ? undefined : { schedule, body: { include_pings: body.include_pings ?? true } }
}

/**
 * Failures after which the run may still be streaming: the connection, not the run, ended.
 * Everything else (a terminal `event: error`, a cancellation, a 4xx such as 410 for an
 * expired stream, a server without stream storage, the total time limit) is final.
 */
const resumable = (error: LettaError.LettaError): boolean => {
  switch (error._tag) {
    case "StreamTruncatedError":
    case "TransportError":
    case "RateLimitError":
      return true
    case "TimeoutError":
      return error.limit !== "total"
    case "ServerError":
      return error.reason !== "no_stream_storage"
    default:
      return false
  }
}

/**
 * Which events have been delivered, so a replay delivers none twice.
 *
 * The server numbers every stored event, but only messages and pings show their `seq_id`;
 * `stop_reason` and `usage_statistics` go out without one. So besides the last `seq_id`,
 * the tracker counts the events without one delivered after it (`pending`): a resume from
 * that `seq_id` replays them first, and that many are skipped. A replay that starts earlier
 * than asked (which the real server never sends) is dropped up to the last `seq_id`,
 * events without one included.
 */
class Tracker {
  runId: string | undefined
  /** The stop reason delivered, for the stream's span. */
  stopReason: string | undefined = undefined
  lastSeq: number
  pending = 0
  /** Per connection: events still to skip, the last `seq_id` it sent, and whether it delivered anything new. */
  skip = 0
  connectionSeq: number | undefined = undefined
  progressed = false

  constructor(readonly includePings: boolean, from: { readonly runId: string; readonly seqId: number } | undefined) {
    this.runId = from?.runId
    this.lastSeq = from?.seqId ?? 0
  }

  /** `seq_id`s start at 1, so 0 means none seen (and `starting_after: 0` replays everything). */
  get seqId(): number | undefined {
    return this.lastSeq > 0 ? this.lastSeq : undefined
  }

  begin(): void {
    this.skip = this.pending
    this.connectionSeq = undefined
    this.progressed = false
  }

  private advance(seq: number): void {
    this.lastSeq = seq
    this.pending = 0
    this.skip = 0
    this.connectionSeq = seq
    this.progressed = true
  }

  readonly accept = (message: LettaStreamingMessage): boolean => {
    if ("run_id" in message && typeof message.run_id === "string") this.runId = message.run_id
    const seq = "seq_id" in message && typeof message.seq_id === "number" ? message.seq_id : undefined
    if (message.message_type === "ping") {
      // The first ping of a background run is stored (seq 1); keep-alive pings repeat the
      // last `seq_id` (or have none) and are news every time; an older one is a replay.
      if (seq !== undefined && seq > this.lastSeq) this.advance(seq)
      else if (seq !== undefined && seq < this.lastSeq) return false
      return this.includePings
    }
    if (seq !== undefined) {
      if (seq > this.lastSeq) {
        this.advance(seq)
        return true
      }
      this.connectionSeq = seq
      // Replayed up to the last delivered `seq_id`: what follows without one was pending.
      if (seq === this.lastSeq) this.skip = this.pending
      return false
    }
    if (this.connectionSeq !== undefined && this.connectionSeq < this.lastSeq) return false
    if (this.skip > 0) {
      this.skip--
      return false
    }
    // Only these carry no `seq_id`: `stop_reason` and `usage_statistics`.
    if (message.message_type === "stop_reason") this.stopReason = message.stop_reason
    this.pending++
    this.progressed = true
    return true
  }
}

/** One stream to supervise. */
export interface Supervision {
  readonly transport: Transport
  /** What the caller asked for; connections always read pings (they carry the run id). */
  readonly settings: StreamSettings
  /** The operation's span, which covers the whole stream, every connection of it. */
  readonly span: { readonly name: string; readonly attributes: Readonly<Record<string, unknown>> }
  /** The first connection (the send, or the first `/runs/{run_id}/stream`), reporting to `span`. */
  readonly first: (
    settings: StreamSettings,
    span: StreamSpan
  ) => Stream.Stream<LettaStreamingMessage, LettaError.LettaError>
  /** How to resume, or `undefined` for a stream that must not be resumed (foreground). */
  readonly resume?: { readonly schedule: Schedule.Schedule<unknown, LettaError.LettaError>; readonly body: ResumeBody } | undefined
  /** Cancels the run when the consumer stops early; `undefined` to leave it running. */
  readonly cancel?: ((runId: string) => Effect.Effect<unknown, LettaError.LettaError>) | undefined
  /** A run already known, and the `seq_id` the first connection starts after. */
  readonly from?: { readonly runId: string; readonly seqId: number } | undefined
}

/**
 * The supervised stream. Connections follow one another in one channel, each handing over
 * to the next when it ends: sequenced, not nested (a chain of `catchAll`s would deepen with
 * every resume of a long run) and not flattened (a `Stream.flatten` would pass every chunk
 * through one more stage). Without resuming or cancelling, it is the first connection
 * itself, so foreground streams keep their fast path.
 */
export const supervise = (supervision: Supervision): Stream.Stream<LettaStreamingMessage, LettaError.LettaError> => {
  const { cancel, resume, settings, transport } = supervision
  if (resume === undefined && cancel === undefined && supervision.from === undefined) {
    return supervision.first(settings, supervision.span)
  }
  return unwrapScoped(Effect.gen(function*() {
    // The first connection reports to this span too (and resumes are its children); what it
    // says about events and the stop reason is replaced, at the end, by what was delivered.
    const operation = yield* Effect.makeSpanScoped(supervision.span.name, {
      attributes: supervision.span.attributes,
      captureStackTrace: false
    })
    const tracker = new Tracker(settings.includePings, supervision.from)
    let delivered = 0
    let resumes = 0
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        operation.attribute("letta.events", delivered)
        if (tracker.runId !== undefined) operation.attribute("letta.run_id", tracker.runId)
        if (tracker.stopReason !== undefined) operation.attribute("letta.stop_reason", tracker.stopReason)
        if (resume !== undefined) operation.attribute("letta.resume_attempts", resumes)
      })
    )
    // The tracker decides, while each connection decodes, what reaches the consumer.
    const accept = (message: LettaStreamingMessage): boolean => {
      const kept = tracker.accept(message)
      if (kept) delivered++
      return kept
    }
    const inner: StreamSettings = { ...settings, accept }
    const clock = yield* Effect.clock
    const started = clock.unsafeCurrentTimeMillis()
    const total = Duration.toMillis(settings.timeouts.total)
    const driver = resume === undefined ? undefined : yield* Schedule.driver(resume.schedule)
    // Whether the stream reached its own end (a terminal event, or a failure it reports)
    // rather than being abandoned by its consumer.
    let ended = false
    if (cancel !== undefined) {
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          const runId = tracker.runId
          return ended || runId === undefined
            ? Effect.void
            : Effect.withParentSpan(cancelQuietly(runId, cancel(runId)), operation)
        })
      )
    }

    /** The run's position on the errors a caller could resume from by hand. */
    const located = (error: LettaError.LettaError): LettaError.LettaError => {
      const position = { runId: tracker.runId ?? (error as { runId?: string }).runId, seqId: tracker.seqId }
      if (error._tag === "StreamTruncatedError") {
        return new LettaError.StreamTruncatedError({ ...error, ...position, seqId: position.seqId ?? error.seqId })
      }
      if (error._tag === "TimeoutError") {
        // A resumed connection runs under what was left of the total limit; report the limit set.
        const timeout = error.limit === "total" ? settings.timeouts.total : error.timeout
        return new LettaError.TimeoutError({ ...error, ...position, seqId: position.seqId ?? error.seqId, timeout })
      }
      return error
    }
    const fail = (error: LettaError.LettaError) => {
      ended = true
      return Effect.fail(located(error))
    }

    let failure: LettaError.LettaError | undefined
    let attempts = 0
    /** One connection's events; its failure is kept for `resumeAfter` instead of ending the stream. */
    const connect = (connection: Stream.Stream<LettaStreamingMessage, LettaError.LettaError>) =>
      Channel.catchAll(
        Channel.suspend(() => {
          tracker.begin()
          return Stream.toChannel(connection)
        }),
        (error) => {
          failure = error
          return Channel.void
        }
      )

    const resumeAfter = (error: LettaError.LettaError) =>
      Effect.gen(function*() {
        const runId = tracker.runId
        if (driver === undefined || resume === undefined || runId === undefined || !resumable(error)) {
          return yield* fail(error)
        }
        if (tracker.progressed) {
          attempts = 0
          yield* driver.reset
        }
        const waitFrom = clock.unsafeCurrentTimeMillis()
        if (Either.isLeft(yield* Effect.either(driver.next(error)))) {
          const where = error as { readonly method: string; readonly url: string }
          return yield* fail(
            new LettaError.StreamTruncatedError({
              method: where.method,
              url: where.url,
              runId,
              description: error.message,
              resumeAttempts: attempts
            })
          )
        }
        attempts++
        resumes++
        // A server that says how long to wait is waited for, at least, but never past the
        // total time limit: a `Retry-After` of a day (or of 10^400 seconds) must not hold the
        // stream beyond the limit the caller set.
        const hint = "retryAfter" in error && error.retryAfter !== undefined ? Duration.toMillis(error.retryAfter) : 0
        const waited = clock.unsafeCurrentTimeMillis() - waitFrom
        const remaining = started + total - clock.unsafeCurrentTimeMillis()
        if (hint > waited) yield* Effect.sleep(Duration.millis(Math.max(0, Math.min(hint - waited, remaining))))
        const left = started + total - clock.unsafeCurrentTimeMillis()
        if (left <= 0) {
          return yield* fail(
            new LettaError.TimeoutError({
              method: "POST",
              url: `/v1/runs/${runId}/stream`,
              limit: "total",
              timeout: settings.timeouts.total
            })
          )
        }
        return runStream(
          transport,
          runId,
          { ...resume.body, starting_after: tracker.lastSeq },
          { ...inner, timeouts: { ...inner.timeouts, total: Duration.millis(left) } },
          { attributes: { "letta.resume_attempt": attempts }, parent: operation }
        )
      })

    let next: Stream.Stream<LettaStreamingMessage, LettaError.LettaError> | undefined = supervision.first(inner, operation)
    /** The next connection, then whatever follows it; the end once one ends without a failure. */
    const connections: Channel.Channel<
      Chunk.Chunk<LettaStreamingMessage>,
      unknown,
      LettaError.LettaError,
      unknown,
      unknown,
      unknown
    > = Channel.unwrap(Effect.suspend(() => {
      const then = (connection: Stream.Stream<LettaStreamingMessage, LettaError.LettaError>) =>
        Channel.flatMap(connect(connection), () => connections)
      if (next !== undefined) {
        const first = next
        next = undefined
        return Effect.succeed(then(first))
      }
      const error = failure
      failure = undefined
      if (error === undefined) {
        ended = true
        return Effect.succeed(Channel.void)
      }
      return Effect.map(resumeAfter(error), then)
    }))
    return Stream.fromChannel(connections)
  }))
}
