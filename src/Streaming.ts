/**
 * Options shared by every streaming operation: which events to deliver, what to do with a
 * frame that does not decode, and the three time limits.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

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
}
