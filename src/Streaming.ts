/**
 * Options shared by every streaming operation: which events to deliver, what to do with a
 * frame that does not decode, the three time limits, resuming background streams, and
 * cancelling the run when the consumer goes away.
 *
 * @since 0.1.0
 */
import { Duration, Schedule } from "effect"
import type * as LettaError from "./LettaError.js"

/**
 * The time limits of a stream. Each failure is a `TimeoutError` naming the limit, and
 * closes the connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Timeouts {
  /**
   * From sending the request to its response headers, retries of the request and the waits
   * between them included. The server sends headers with the first event, so with pings
   * (the default) they come at once; without, only with the first token.
   */
  readonly headers?: Duration.DurationInput | undefined
  /** Between two events; pings count, and the server pings after 20 s of silence. */
  readonly idle?: Duration.DurationInput | undefined
  /** For the whole stream. */
  readonly total?: Duration.DurationInput | undefined
}

/**
 * The defaults: agent turns take minutes, so none of these is a 60 s wall. `idle` allows
 * several missed keep-alive pings; raise it when you turn pings off.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeouts: { readonly [K in keyof Timeouts]-?: Duration.Duration } = {
  headers: Duration.minutes(3),
  idle: Duration.minutes(3),
  total: Duration.hours(1)
}

/**
 * Options of every streaming operation, per call.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions {
  /**
   * Deliver `ping` events too. They are always read: they reset the idle timer and carry
   * the run id. Default false.
   */
  readonly includePings?: boolean | undefined
  /**
   * A frame that does not decode as a Letta message fails the stream with a `DecodeError`
   * naming it (`"fail"`, the default) or is logged as a warning and skipped (`"skip"`).
   * Message types newer than this client are not malformed: they arrive as
   * `UnknownMessage`.
   */
  readonly onMalformedEvent?: "fail" | "skip" | undefined
  /** Time limits for this stream, over the client's defaults. */
  readonly timeouts?: Timeouts | undefined
  /** The largest event accepted, in characters (default 8 MiB). */
  readonly maxEventSize?: number | undefined
  /**
   * Background streams only (a send with `background: true`, and `runs.stream`): when the
   * connection drops, the body ends without a terminal event, or the idle limit passes, the
   * stream goes on from the last `seq_id` seen through `POST /v1/runs/{run_id}/stream`,
   * skipping what was already delivered. The caller sees one stream. Attempts follow
   * {@link defaultResumeSchedule} unless a `Schedule` is given here (its input is the
   * error that ended the connection; it starts over once a resumed connection delivers
   * something new); `false` turns resuming off. Foreground streams are never resumed: the
   * server keeps nothing to resume them from.
   */
  readonly resume?: boolean | Schedule.Schedule<unknown, LettaError.LettaError> | undefined
  /**
   * When the consumer stops before the stream has ended (interruption, `Stream.take`, a
   * closed scope), also ask the server to cancel the run; a dropped connection alone does
   * not stop it. Only once the run is known, from the first event (pings are read for it
   * even when not delivered): a consumer gone before that cancels nothing. Agents' streams
   * and `runs.stream` cancel that run; a conversation's stream cancels the conversation's
   * runs, which is that run since a conversation runs one at a time. Best effort: bounded
   * by {@link cancelTimeout}, and a failure is logged, not raised. Default false.
   */
  readonly cancelOnInterrupt?: boolean | undefined
}

/**
 * The default resume schedule: up to 8 attempts, the first after about 250 ms, doubling
 * (with jitter) up to 10 s apart: about half a minute without any progress before giving
 * up with a `StreamTruncatedError` that says where to pick up from.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultResumeSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis").pipe(
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(10))),
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(8))
)

/**
 * How long `cancelOnInterrupt` waits for the cancel request before giving up on it.
 *
 * @since 0.1.0
 * @category constants
 */
export const cancelTimeout: Duration.Duration = Duration.seconds(5)
