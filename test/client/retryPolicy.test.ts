/**
 * The pieces of the retry policy on their own: reading a server's requested wait, telling a
 * connect failure from a later one, which errors are transient, the waits, and otids.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Fiber, Random, TestClock } from "effect"
import { LettaError, Retry } from "effect-letta"
import { retryAfterOf } from "../../src/internal/httpErrors.js"
import { withOtids } from "../../src/internal/otids.js"
import * as RetryPolicy from "../../src/internal/retry.js"
import { failedToConnect } from "../../src/internal/transport.js"

const millis = (duration: Duration.Duration | undefined) => (duration === undefined ? undefined : Duration.toMillis(duration))

describe("Retry-After", () => {
  const now = Date.UTC(2026, 7, 1, 12, 0, 0)
  const read = (headers: Record<string, string>) => millis(retryAfterOf(headers, now))

  it("reads delta-seconds, whole or fractional", () => {
    expect(read({ "retry-after": "7" })).toBe(7_000)
    expect(read({ "retry-after": " 1.5 " })).toBe(1_500)
    expect(read({ "retry-after": "0" })).toBe(0)
  })

  it("reads an HTTP date against the given time, in each of HTTP's three forms", () => {
    expect(read({ "retry-after": "Sat, 01 Aug 2026 12:00:30 GMT" })).toBe(30_000)
    expect(read({ "retry-after": "Saturday, 01-Aug-26 12:01:00 GMT" })).toBe(60_000)
    // asctime has no zone and means GMT, whatever the machine's time zone.
    expect(read({ "retry-after": "Sat Aug  1 12:00:05 2026" })).toBe(5_000)
    // A date already past means now.
    expect(read({ "retry-after": "Sat, 01 Aug 2026 11:00:00 GMT" })).toBe(0)
  })

  it("prefers retry-after-ms, and falls back when it is unusable", () => {
    expect(read({ "retry-after-ms": "250", "retry-after": "9" })).toBe(250)
    expect(read({ "retry-after-ms": "soon", "retry-after": "9" })).toBe(9_000)
    expect(read({ "retry-after-ms": "12.5" })).toBe(12.5)
  })

  it("ignores negative, empty and unparsable values instead of retrying at once", () => {
    for (const value of ["-1", "", "  ", "soon", "1e3", "0x10", "1 2", "12 seconds"]) {
      expect([value, read({ "retry-after": value })]).toEqual([value, undefined])
    }
    expect(read({ "retry-after-ms": "-5" })).toBeUndefined()
    expect(read({})).toBeUndefined()
  })
})

describe("connect failures", () => {
  const system = (code: string, syscall: string) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall })

  it("are failures of connect or getaddrinfo, or undici's connect timeout, at any depth", () => {
    expect(failedToConnect(system("ECONNREFUSED", "connect"))).toBe(true)
    expect(failedToConnect(system("ETIMEDOUT", "connect"))).toBe(true)
    expect(failedToConnect(system("ENOTFOUND", "getaddrinfo"))).toBe(true)
    expect(failedToConnect(system("EAI_AGAIN", "getaddrinfo"))).toBe(true)
    expect(failedToConnect(Object.assign(new Error("Connect Timeout Error"), { code: "UND_ERR_CONNECT_TIMEOUT" }))).toBe(true)
    // fetch wraps the cause in a TypeError.
    expect(failedToConnect(new TypeError("fetch failed", { cause: system("ECONNREFUSED", "connect") }))).toBe(true)
    // Every address of a host refused.
    const all = new AggregateError([system("ECONNREFUSED", "connect"), system("ENETUNREACH", "connect")])
    expect(failedToConnect(new TypeError("fetch failed", { cause: all }))).toBe(true)
  })

  it("are not resets, closed sockets, or timeouts once connected: the request may have been sent", () => {
    expect(failedToConnect(system("ECONNRESET", "read"))).toBe(false)
    expect(failedToConnect(system("EPIPE", "write"))).toBe(false)
    expect(failedToConnect(system("ETIMEDOUT", "read"))).toBe(false)
    expect(failedToConnect(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }))).toBe(false)
    expect(failedToConnect(new TypeError("fetch failed"))).toBe(false)
    expect(failedToConnect(new AggregateError([system("ECONNREFUSED", "connect"), system("ECONNRESET", "read")]))).toBe(false)
    expect(failedToConnect(undefined)).toBe(false)
    expect(failedToConnect("connect ECONNREFUSED")).toBe(false)
  })
})

const http = (status: number, extra: Record<string, unknown> = {}) => {
  const fields = { status, method: "GET", url: "http://127.0.0.1/v1/runs/run-1", ...extra }
  if (status === 409) return new LettaError.ConflictError({ ...fields, reason: "conversation_busy" })
  if (status === 429) return new LettaError.RateLimitError(fields)
  return status >= 500 ? new LettaError.ServerError(fields) : new LettaError.UnexpectedStatusError(fields)
}
const transport = (phase: "connect" | "request" | "response") =>
  new LettaError.TransportError({ method: "POST", url: "http://127.0.0.1/", phase, description: "x" })

describe("which errors are transient", () => {
  it("408, 429, 500, 502, 503, 504 and transport failures before a response", () => {
    for (const status of [408, 429, 500, 502, 503, 504]) expect([status, Retry.isTransient(http(status))]).toEqual([status, true])
    expect(Retry.isTransient(transport("connect"))).toBe(true)
    expect(Retry.isTransient(transport("request"))).toBe(true)
  })

  it("not 501, 505, other 4xx, a cut-off body, a timeout, or a 503 for a missing Redis", () => {
    for (const status of [501, 505, 400, 401, 404, 409, 410, 422, 499]) {
      expect([status, Retry.isTransient(http(status))]).toEqual([status, false])
    }
    expect(Retry.isTransient(transport("response"))).toBe(false)
    expect(
      Retry.isTransient(new LettaError.TimeoutError({ method: "GET", url: "u", limit: "total", timeout: Duration.seconds(1) }))
    ).toBe(false)
    expect(Retry.isTransient(new LettaError.StreamTruncatedError({ method: "POST", url: "u" }))).toBe(false)
    // As the client reads that 503 (the reason is read from the body in httpErrors).
    const noRedis = http(503, {
      detail: "INTERNAL_SERVER_ERROR: Background streaming requires Redis to be running. Please ensure Redis is properly configured.",
      reason: "no_stream_storage"
    })
    expect(Retry.isTransient(noRedis)).toBe(false)
  })

  it("only a connect failure proves that a request never left", () => {
    expect(Retry.neverSent(transport("connect"))).toBe(true)
    expect(Retry.neverSent(transport("request"))).toBe(false)
    expect(Retry.neverSent(http(503))).toBe(false)
  })
})

describe("policies", () => {
  it("resolve over a base; false turns retries off; nonsense is refused", () => {
    expect(RetryPolicy.resolve(undefined)).toEqual(Either.right(RetryPolicy.defaults))
    expect(Either.map(RetryPolicy.resolve(false), (p) => p.maxAttempts)).toEqual(Either.right(1))
    const custom = RetryPolicy.resolve({ maxAttempts: 5, initialDelay: "2 seconds", maxRetryAfter: undefined })
    expect(Either.map(custom, (p) => [p.maxAttempts, Duration.toMillis(p.initialDelay), Duration.toMillis(p.maxRetryAfter)]))
      .toEqual(Either.right([5, 2_000, 60_000]))
    const bads: ReadonlyArray<Retry.Policy> = [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { factor: 0.5 },
      { jitter: -0.1 },
      { jitter: Number.NaN },
      { initialDelay: "forever" as Duration.DurationInput },
      { initialDelay: Duration.infinity }
    ]
    for (const bad of bads) {
      expect([bad, Either.isLeft(RetryPolicy.resolve(bad))]).toEqual([bad, true])
    }
  })

  it("nest: the inner setting wins, false included", () => {
    expect(RetryPolicy.merge({ maxAttempts: 5, factor: 3 }, { maxAttempts: 2 })).toEqual({ maxAttempts: 2, factor: 3 })
    expect(RetryPolicy.merge({ maxAttempts: 5 }, false)).toBe(false)
    expect(RetryPolicy.merge(false, { maxAttempts: 2 })).toEqual({ maxAttempts: 2 })
    expect(RetryPolicy.merge(undefined, { jitter: 0 })).toEqual({ jitter: 0 })
  })

  /** The waits between the attempts of an effect that always fails with `error` (one fewer than the attempts). */
  const waits = (policy: Retry.Policy, error: LettaError.LettaError) =>
    Effect.gen(function*() {
      const resolved = Either.getOrThrow(RetryPolicy.resolve(policy))
      const times: Array<number> = []
      const attempt: Effect.Effect<never, LettaError.LettaError> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
        times.push(now)
        return Effect.fail(error)
      })
      const fiber = yield* Effect.fork(Effect.retry(attempt, RetryPolicy.schedule(resolved, Retry.isTransient)))
      // Far enough for any of these policies; the fiber sleeps between attempts.
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("1 minute")
      expect(yield* Effect.flip(Fiber.join(fiber))).toBe(error)
      return times.slice(1).map((at, i) => at - times[i])
    })

  it.effect("back off exponentially up to the cap, for maxAttempts attempts in all", () =>
    Effect.gen(function*() {
      expect(yield* waits({ maxAttempts: 6, initialDelay: "1 second", factor: 3, maxDelay: "20 seconds", jitter: 0 }, http(503)))
        .toEqual([1_000, 3_000, 9_000, 20_000, 20_000])
      expect(yield* waits({ maxAttempts: 1 }, http(503))).toEqual([])
      // Not transient: no retry at all.
      expect(yield* waits({ maxAttempts: 6, jitter: 0 }, http(400))).toEqual([])
    }))

  it.effect("jitter keeps every wait between (1 - jitter) and 1 times the backoff", () =>
    Effect.gen(function*() {
      const backoff = [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]
      const seen = new Set<number>()
      for (const seed of ["a", "b", "c", "d"]) {
        const jittered = yield* waits({ maxAttempts: 8 }, http(502)).pipe(Effect.withRandom(Random.make(seed)))
        jittered.forEach((wait, i) => {
          expect(wait).toBeGreaterThanOrEqual(backoff[i] * 0.75)
          expect(wait).toBeLessThanOrEqual(backoff[i])
          seen.add(wait)
        })
      }
      // Really random: the waits are not all the same few values.
      expect(seen.size).toBeGreaterThan(10)
    }))

  it.effect("a server's requested wait replaces the backoff, without jitter, capped", () =>
    Effect.gen(function*() {
      const asked = (seconds: number) => http(429, { retryAfter: Duration.seconds(seconds) })
      expect(yield* waits({ maxAttempts: 3, maxRetryAfter: "30 seconds" }, asked(7))).toEqual([7_000, 7_000])
      expect(yield* waits({ maxAttempts: 2, maxRetryAfter: "30 seconds" }, asked(3_600))).toEqual([30_000])
    }))
})

describe("otids", () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

  it.effect("every message, approval and tool return gets one; a caller's own is kept", () =>
    Effect.gen(function*() {
      const { body, otids } = yield* withOtids({
        messages: [
          { type: "message", role: "user", content: "a" },
          { type: "message", role: "user", content: "b", otid: "mine" },
          { type: "approval", approvals: [{ type: "approval", tool_call_id: "call-1", approve: true }], otid: null },
          { type: "tool_return", tool_returns: [], otid: "" }
        ],
        max_steps: 3
      })
      expect(body.max_steps).toBe(3)
      const stamped = body.messages as ReadonlyArray<{ readonly otid: string }>
      expect(stamped.map((m) => m.otid)).toEqual(otids)
      expect(otids[1]).toBe("mine")
      for (const i of [0, 2, 3]) expect(otids[i]).toMatch(uuid)
      expect(new Set(otids).size).toBe(4)
    }))

  it.effect("`input` becomes the user message the server would make of it, with its otid", () =>
    Effect.gen(function*() {
      const parts = [{ type: "text", text: "hi" }]
      const { body, otids } = yield* withOtids({ input: parts, messages: null, streaming: true })
      expect(body).toEqual({ messages: [{ type: "message", role: "user", content: parts, otid: otids[0] }], streaming: true })
      const again = yield* withOtids({ input: "hi" })
      expect(again.otids[0]).not.toBe(otids[0])
    }))
})
