/**
 * The machinery behind `Retry`: resolving a policy over the client's, telling transient
 * failures from final ones, and the schedule that waits between attempts.
 */
import { Clock, Duration, Effect, Either, identity, Option, Schedule } from "effect"
import type * as LettaError from "../LettaError.js"
import type { Policy, Resolved } from "../Retry.js"

export type { Resolved }

/** The library's defaults (see `Retry.defaults`). */
export const defaults: Resolved = {
  maxAttempts: 3,
  initialDelay: Duration.millis(500),
  factor: 2,
  maxDelay: Duration.seconds(8),
  jitter: 0.25,
  maxRetryAfter: Duration.seconds(60)
}

const duration = (
  name: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<Duration.Duration, string> =>
  input === undefined
    ? Either.right(fallback)
    : Either.fromOption(Duration.decodeUnknown(input), () => `${name} is not a duration: ${String(input)}`)

/**
 * `policy` over `base`: the fields it sets replace the base's; `false` turns retries off.
 * Fails with a sentence for a value that would make no sense as a policy.
 */
export const resolve = (policy: Policy | false | undefined, base: Resolved = defaults): Either.Either<Resolved, string> => {
  if (policy === undefined) return Either.right(base)
  if (policy === false) return Either.right({ ...base, maxAttempts: 1 })
  const maxAttempts = policy.maxAttempts ?? base.maxAttempts
  const factor = policy.factor ?? base.factor
  const jitter = policy.jitter ?? base.jitter
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    return Either.left(`maxAttempts must be a whole number of at least 1, got ${maxAttempts}`)
  }
  if (!Number.isFinite(factor) || factor < 1) return Either.left(`factor must be at least 1, got ${factor}`)
  if (!(jitter >= 0 && jitter <= 1)) return Either.left(`jitter must be between 0 and 1, got ${jitter}`)
  return Either.all({
    initialDelay: Either.filterOrLeft(
      duration("initialDelay", policy.initialDelay, base.initialDelay),
      Duration.isFinite,
      () => "initialDelay must be finite"
    ),
    maxDelay: duration("maxDelay", policy.maxDelay, base.maxDelay),
    maxRetryAfter: duration("maxRetryAfter", policy.maxRetryAfter, base.maxRetryAfter)
  }).pipe(Either.map((durations) => ({ maxAttempts, factor, jitter, ...durations })))
}

/** `inner` over `outer`, for nested per-call policies: the innermost setting wins. */
export const merge = (outer: Policy | false | undefined, inner: Policy | false): Policy | false =>
  inner === false || outer === undefined || outer === false ? inner : { ...outer, ...inner }

/**
 * Statuses worth another attempt: the server (or a proxy) may answer differently in a
 * moment. 501 and 505 are about what the server can do at all, and other 4xx about the
 * request itself, so repeating them cannot help.
 */
const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/** Whether another attempt may succeed (see `Retry.isTransient`). */
export const isTransient = (error: LettaError.LettaError): boolean => {
  if (error._tag === "TransportError") return error.phase !== "response"
  // A server without Redis answers every background stream with a 503 after recording a
  // failed run: configuration, not load, and each retry would leave another failed run.
  if (error._tag === "ServerError" && error.reason === "no_stream_storage") return false
  return "status" in error && transientStatuses.has(error.status)
}

/** The request provably never reached the server (see `Retry.neverSent`). */
export const neverSent = (error: LettaError.LettaError): boolean =>
  error._tag === "TransportError" && error.phase === "connect"

/** How long the server asked to wait, if it did. */
const requestedDelay = (error: LettaError.LettaError): Duration.Duration | undefined =>
  "retryAfter" in error ? error.retryAfter : undefined

/**
 * Makes each retry visible: a debug log line, and an event on the current span (the
 * operation's), with the attempt about to start and the wait before it. The span's
 * `letta.retry.attempts` ends up as the number of attempts made.
 */
const report = (error: LettaError.LettaError, attempt: number, maxAttempts: number, delay: Duration.Duration) =>
  Effect.gen(function*() {
    const millis = Duration.toMillis(delay)
    const status = "status" in error ? error.status : undefined
    const span = yield* Effect.option(Effect.currentSpan)
    if (Option.isSome(span)) {
      span.value.attribute("letta.retry.attempts", attempt)
      span.value.event("letta.retry", yield* Clock.currentTimeNanos, {
        "letta.retry.attempt": attempt,
        "letta.retry.delay_ms": millis,
        "error.type": error._tag,
        ...(status === undefined ? {} : { "http.response.status_code": status })
      })
    }
    const wait = millis === 0 ? "0ms" : Duration.format(delay)
    yield* Effect.logDebug(`retrying in ${wait} (attempt ${attempt} of ${maxAttempts}): ${error.message}`).pipe(
      Effect.annotateLogs({
        "letta.retry.attempt": attempt,
        "letta.retry.delay_ms": millis,
        "error.type": error._tag
      })
    )
  })

/**
 * The wait before each retry, for errors `retryable` accepts, at most `maxAttempts - 1`
 * times. The wait is `initialDelay * factor^n`, capped at `maxDelay`, then shortened by a
 * random fraction of up to `jitter` (so it never exceeds the cap, and clients that failed
 * together do not retry together). A server's `retry-after-ms` / `Retry-After` replaces it,
 * capped at `maxRetryAfter` and without jitter: the server said when.
 */
export const schedule = (
  policy: Resolved,
  retryable: (error: LettaError.LettaError) => boolean
): Schedule.Schedule<unknown, LettaError.LettaError> => {
  const capped = Schedule.exponential(policy.initialDelay, policy.factor).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, policy.maxDelay))
  )
  const backoff = policy.jitter === 0 ? capped : Schedule.jitteredWith(capped, { min: 1 - policy.jitter, max: 1 })
  return Schedule.identity<LettaError.LettaError>().pipe(
    Schedule.whileInput(retryable),
    Schedule.intersect(Schedule.recurs(policy.maxAttempts - 1)),
    Schedule.intersect(backoff),
    Schedule.modifyDelayEffect(([[error, retries]], backoffDelay) => {
      const requested = requestedDelay(error)
      // Whole milliseconds: what a log reader expects, and what a clock can keep.
      const delay = Duration.millis(
        Math.round(Duration.toMillis(requested === undefined ? backoffDelay : Duration.min(requested, policy.maxRetryAfter)))
      )
      return Effect.as(report(error, retries + 2, policy.maxAttempts, delay), delay)
    })
  )
}

/**
 * `Effect.retry(attempt, schedule(policy, retryable))`, with the schedule and its driver
 * made only once an attempt has failed with an error worth retrying. Most requests succeed
 * at once, and a request waiting for its response would otherwise hold them all that time
 * (about 7 KB, for each of a thousand streams waiting for their headers). `afterFailure`
 * wraps everything from the first retryable failure on: the waits and the later attempts.
 * Unlike `Effect.retry`, the attempts do not see `Schedule.CurrentIterationMetadata`.
 */
export const retryLazily = <A, R>(
  attempt: Effect.Effect<A, LettaError.LettaError, R>,
  policy: Resolved,
  retryable: (error: LettaError.LettaError) => boolean,
  afterFailure: <R2>(
    retries: Effect.Effect<A, LettaError.LettaError, R2>
  ) => Effect.Effect<A, LettaError.LettaError, R2> = identity
): Effect.Effect<A, LettaError.LettaError, R> =>
  Effect.catchAll(attempt, (first) =>
    retryable(first)
      ? afterFailure(Effect.flatMap(Schedule.driver(schedule(policy, retryable)), (driver) => {
        const next = (error: LettaError.LettaError): Effect.Effect<A, LettaError.LettaError, R> =>
          Effect.matchEffect(driver.next(error), {
            onFailure: () => Effect.fail(error),
            onSuccess: () => Effect.catchAll(attempt, next)
          })
        return next(first)
      }))
      : Effect.fail(first))
