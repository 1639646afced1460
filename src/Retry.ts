/**
 * Retries: which failures are worth another attempt, how long to wait before it, and which
 * requests may be sent again at all.
 *
 * ## What is retried
 *
 * A failure is transient ({@link isTransient}) when it is a transport failure before any
 * response (connection refused or reset, DNS failure, a dropped connection), or a 408,
 * 429, 500, 502, 503 or 504 — except the 503 of a server without Redis that is asked for a
 * background stream (`ServerError` with reason `no_stream_storage`: configuration, not
 * load). Nothing else is retried: not 501 or 505, not any other 4xx
 * (409 included: a busy conversation or a pending approval needs the caller's decision,
 * see `ConflictError`), not a timeout (the time limit is the caller's budget), not a body
 * cut off after the response started, not a response that does not decode.
 *
 * Which of those failures lead to another attempt depends on the request:
 *
 * - **Reads and idempotent requests** (every GET and DELETE, cancels, `reset`): any
 *   transient failure.
 * - **Sends** (agent messages as JSON or streamed, `/messages/async`, `compact`,
 *   `agents.create`, `conversations.create`, conversation messages): only when the request
 *   provably never left the client ({@link neverSent}): the connection was refused, the
 *   host name did not resolve, or connecting timed out. Letta does not deduplicate these
 *   endpoints: after a 5xx, a 429 or a connection dropped once the request was written, the
 *   agent may already have run the turn, and sending it again would run it twice. The caller gets the error at once.
 * - **Background conversation streams** (`conversations.messages.stream` with
 *   `background: true`): any transient failure. The server deduplicates them by the
 *   messages' `otid`s, which the client sets once per call and reuses on every attempt: a
 *   repeated send answers with the existing run's stream from its start instead of a new
 *   turn.
 * - **Streams** are only retried before their response headers; a stream that breaks
 *   after it started is never sent again (a background run can be resumed instead).
 *
 * ## How long to wait
 *
 * Before retry `n` (from 0) the client waits `initialDelay * factor^n`, capped at
 * `maxDelay`, minus a random part of up to `jitter` of it. When the server says how long to
 * wait (`retry-after-ms`, or `Retry-After` in seconds or as an HTTP date, read against the
 * Effect `Clock`), that wait is used instead, capped at `maxRetryAfter`. All waiting goes
 * through the Effect `Clock` and `Random`, so `TestClock` drives it. Each retry is logged
 * at debug level and recorded as a `letta.retry` event on the operation's span, whose
 * `letta.retry.attempts` says how many attempts were made; when the attempts run out, the
 * caller gets the last attempt's error.
 *
 * ## Setting the policy
 *
 * On the client with `LettaClient.layer({ retry })` (`false` turns retries off), from the
 * environment with `LETTA_MAX_RETRIES`, and for a part of a program with {@link withPolicy}
 * (effects) or {@link withPolicyStream} (streams):
 *
 * ```ts
 * client.runs.retrieve(runId).pipe(Retry.withPolicy({ maxAttempts: 10 }))
 * client.agents.messages.list(agentId).pipe(Retry.withPolicyStream(false))
 * ```
 *
 * @since 0.1.0
 */
import { Context, type Duration, Effect, Stream } from "effect"
import { dual } from "effect/Function"
import * as internal from "./internal/retry.js"
import type * as LettaError from "./LettaError.js"

/**
 * A retry policy. Every field is optional: the fields set replace those of the policy
 * underneath (the client's, or {@link defaults}).
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /** Attempts in all, the first included; `1` turns retries off. Default 3. */
  readonly maxAttempts?: number | undefined
  /** The wait before the first retry. Default 500 ms. */
  readonly initialDelay?: Duration.DurationInput | undefined
  /** How much each wait grows over the previous one. Default 2. */
  readonly factor?: number | undefined
  /** The longest wait the backoff reaches. Default 8 s. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /**
   * The largest fraction (0 to 1) randomly taken off each backoff wait, so that clients
   * that failed together do not retry together. Default 0.25.
   */
  readonly jitter?: number | undefined
  /** The longest wait a server's `Retry-After` or `retry-after-ms` can ask for. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
}

/**
 * The default policy: 3 attempts, waits of 500 ms then 1 s (backoff factor 2, capped at
 * 8 s, up to 25% jitter), server-requested waits honoured up to 60 s. Like the official
 * SDK's, whose 2 retries start at 0.5 s and stop growing at 8 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Resolved = internal.defaults

/**
 * A policy with every field decided, as the client applies it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly maxAttempts: number
  readonly initialDelay: Duration.Duration
  readonly factor: number
  readonly maxDelay: Duration.Duration
  readonly jitter: number
  readonly maxRetryAfter: Duration.Duration
}

/**
 * Whether a failure is worth another attempt: a transport failure before any response, or
 * a 408, 429, 500, 502, 503 or 504 (except a server's 503 saying background streaming
 * needs Redis, which no retry fixes). Whether the request is retried also depends on
 * whether it may be sent again; see the module documentation.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransient: (error: LettaError.LettaError) => boolean = internal.isTransient

/**
 * Whether the request provably never reached the server: a `TransportError` in the
 * `connect` phase. That is a connection refused, a host name that did not resolve, or a
 * connect timeout (Node errors from the `connect` or `getaddrinfo` system calls, and
 * undici's `UND_ERR_CONNECT_TIMEOUT`). A connection reset, a socket closed by the other
 * side or any timeout after connecting does not count: the request may have been written.
 * These are the only failures after which a send is retried.
 *
 * @since 0.1.0
 * @category predicates
 */
export const neverSent: (error: LettaError.LettaError) => boolean = internal.neverSent

/**
 * The policy set for the current part of the program by {@link withPolicy} or
 * {@link withPolicyStream}, read by the client at each request over its own policy.
 * `undefined` (the default) leaves the client's policy alone; `false` turns retries off.
 *
 * @since 0.1.0
 * @category references
 */
export class CurrentPolicy extends Context.Reference<CurrentPolicy>()("effect-letta/Retry/CurrentPolicy", {
  defaultValue: (): Policy | false | undefined => undefined
}) {}

/**
 * Runs an effect, and every Letta request in it, under `policy` (`false`: no retries). The
 * fields set replace the client's; nested calls refine the outer ones. An invalid policy
 * fails each request with an `InvalidRequestError` before anything is sent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPolicy: {
  (policy: Policy | false): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy | false): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy | false): Effect.Effect<A, E, R> =>
    Effect.flatMap(CurrentPolicy, (outer) => Effect.provideService(self, CurrentPolicy, internal.merge(outer, policy)))
)

/**
 * As {@link withPolicy}, for a stream: its requests (every page of a list, or a streaming
 * send before its headers) use `policy`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withPolicyStream: {
  (policy: Policy | false): <A, E, R>(self: Stream.Stream<A, E, R>) => Stream.Stream<A, E, R>
  <A, E, R>(self: Stream.Stream<A, E, R>, policy: Policy | false): Stream.Stream<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Stream.Stream<A, E, R>, policy: Policy | false): Stream.Stream<A, E, R> =>
    Stream.unwrap(
      Effect.map(CurrentPolicy, (outer) => Stream.provideService(self, CurrentPolicy, internal.merge(outer, policy)))
    )
)
