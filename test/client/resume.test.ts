/**
 * Resuming background streams, on the wire: a scripted server drops, ends or silences the
 * first connection, and must then see `POST /v1/runs/{run_id}/stream` with the last
 * `seq_id`; the caller must see one stream with nothing lost and nothing twice. Time
 * (retry delays, idle limits) runs on the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer, Option, Schedule, Stream, TestClock } from "effect"
import { LettaClient, type LettaError, type Schemas } from "effect-letta"
import { agentId, assistant, collect, done, errorEvent, failureOf, frame, ping, runId, stop, usage } from "../support/frames.js"
import { type Exchange, makeSseServer } from "../support/sseServer.js"
import { httpClients } from "./harness.js"

/** One turn of the event loop in real time, so sockets can deliver what was written. */
const realTick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/**
 * Waits for the server's next request while moving the TestClock on in small steps, so a
 * client sleeping before its next attempt gets there. Fails when none comes within `limit`.
 */
const nextRequest = (server: { readonly poll: Effect.Effect<Option.Option<Exchange>> }, limit = 120_000, step = 100) =>
  Effect.gen(function*() {
    for (let elapsed = 0; elapsed <= limit; elapsed += step) {
      for (let i = 0; i < 5; i++) {
        const next = yield* server.poll
        if (Option.isSome(next)) return next.value
        yield* realTick
      }
      yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage(`no request within ${limit} ms`)
  })

/** Asserts that no request comes while the clock moves on by `millis`. */
const noRequestWithin = (server: { readonly poll: Effect.Effect<Option.Option<Exchange>> }, millis: number) =>
  Effect.gen(function*() {
    const next = yield* nextRequest(server, millis, 1_000).pipe(Effect.option, Effect.catchAllDefect(() => Effect.succeedNone))
    expect(Option.map(next, (exchange) => `${exchange.method} ${exchange.path}`)).toEqual(Option.none())
  })

const contents = (items: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  items.map((m) => (m.message_type === "assistant_message" ? m.content : m.message_type))

const resumePath = `/v1/runs/${runId}/stream`

for (const http of httpClients) {
  describe(`resuming background streams over ${http.name}`, () => {
    const clientFor = (url: string, timeouts?: LettaClient.Options["streamTimeouts"]) =>
      Layer.build(LettaClient.layer({ baseUrl: url, streamTimeouts: timeouts }).pipe(Layer.provide(http.layer))).pipe(
        Effect.map(Context.get(LettaClient.LettaClient))
      )

    /** A scripted server, a client for it, and a background send forked and collected. */
    const start = (
      options: {
        readonly timeouts?: LettaClient.Options["streamTimeouts"]
        readonly background?: boolean
        readonly stream?: (client: LettaClient.LettaClient["Type"]) => Stream.Stream<Schemas.LettaStreamingMessage, LettaError.LettaError>
      } = {}
    ) =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url, options.timeouts)
        const stream = options.stream?.(client) ??
          client.agents.messages.stream(agentId, { input: "x", background: options.background ?? true })
        const count = { n: 0 }
        const fiber = yield* Effect.fork(collect(stream.pipe(Stream.tap(() => Effect.sync(() => count.n++)))))
        const first = yield* server.next
        /** Waits (in real time) until the caller has received `n` events in all. */
        const delivered = (n: number) =>
          Effect.gen(function*() {
            for (let i = 0; i < 5_000 && count.n < n; i++) yield* realTick
            expect(count.n, "events delivered").toBe(n)
          })
        return { server, client, fiber, first, delivered }
      })

    it.scoped("a dropped connection resumes after the last seq_id; a replay's repeats are dropped", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start()
        expect(JSON.parse(first.body)).toMatchObject({
          messages: [{ type: "message", role: "user", content: "x" }],
          background: true,
          include_pings: true
        })
        first.write(ping(1) + assistant("a", 2) + assistant("b", 3))
        yield* delivered(2)
        first.destroy()
        const resumed = yield* nextRequest(server)
        expect([resumed.method, resumed.path]).toEqual(["POST", resumePath])
        expect(JSON.parse(resumed.body)).toEqual({ starting_after: 3, include_pings: true })
        // This server replays from the start; the client keeps only what is new.
        resumed.write(ping(1) + assistant("a", 2) + assistant("b", 3) + assistant("c", 4) + stop("end_turn") + usage + done)
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(contents(result.items)).toEqual(["a", "b", "c", "stop_reason", "usage_statistics"])
      }))

    it.scoped("a body that ends without a terminal event, then the idle limit, each resume from where it was", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({ timeouts: { idle: "30 seconds" } })
        first.write(ping(1) + assistant("a", 2))
        yield* delivered(1)
        first.end()
        const second = yield* nextRequest(server)
        expect(JSON.parse(second.body)).toEqual({ starting_after: 2, include_pings: true })
        second.write(assistant("b", 3))
        // Silent from here: the idle limit ends this connection, and the next one goes on.
        const third = yield* nextRequest(server)
        expect(JSON.parse(third.body)).toEqual({ starting_after: 3, include_pings: true })
        third.write(assistant("c", 4) + stop("end_turn") + usage + done)
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(contents(result.items)).toEqual(["a", "b", "c", "stop_reason", "usage_statistics"])
      }))

    it.scoped("events without a seq_id (stop_reason, usage) delivered before a drop are not delivered again", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start()
        first.write(ping(1) + assistant("a", 2) + stop("end_turn"))
        yield* delivered(2)
        first.destroy()
        const second = yield* nextRequest(server)
        expect(JSON.parse(second.body).starting_after).toBe(2)
        // What the real server replays after seq 2: the stop reason (seq 3, not shown), usage, [DONE].
        second.write(stop("end_turn"))
        // Whether or not the client read it before the drop, the outcome is the same.
        for (let i = 0; i < 50; i++) yield* realTick
        second.destroy()
        const third = yield* nextRequest(server)
        expect(JSON.parse(third.body).starting_after).toBe(2)
        // A replay from further back: the same stop reason again, then what is new.
        third.write(ping(1) + assistant("a", 2) + stop("end_turn") + usage + done)
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(contents(result.items)).toEqual(["a", "stop_reason", "usage_statistics"])
      }))

    it.scoped("no seq_id seen: it resumes from 0 (sent, not left out) and keeps the first seq_id, 1", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({
          stream: (client) =>
            client.agents.messages.stream(agentId, { input: "x", background: true }, { includePings: true })
        })
        // A run id, but no stored event yet.
        first.write(ping(null))
        yield* delivered(1)
        first.end()
        const second = yield* nextRequest(server)
        expect(JSON.parse(second.body)).toEqual({ starting_after: 0, include_pings: true })
        second.write(assistant("a", 1))
        yield* delivered(2)
        second.end()
        const third = yield* nextRequest(server)
        expect(JSON.parse(third.body)).toEqual({ starting_after: 1, include_pings: true })
        third.write(assistant("a", 1) + stop("end_turn") + done)
        const result = yield* Fiber.join(fiber)
        expect(contents(result.items)).toEqual(["ping", "a", "stop_reason"])
      }))

    it.scoped("without a run id there is nothing to resume: the original error", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start()
        first.write(stop("end_turn"))
        yield* delivered(1)
        first.end()
        const result = yield* Fiber.join(fiber)
        const error = failureOf(result.exit) as LettaError.StreamTruncatedError
        expect([error._tag, error.runId, error.resumeAttempts]).toEqual(["StreamTruncatedError", undefined, undefined])
        yield* noRequestWithin(server, 60_000)
      }))

    it.scoped("resume attempts that keep failing end with a typed error saying where the run was", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({
          stream: (client) =>
            client.agents.messages.stream(agentId, { input: "x", background: true }, {
              resume: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2)))
            })
        })
        first.write(ping(1) + assistant("a", 2))
        yield* delivered(1)
        first.destroy()
        for (let attempt = 0; attempt < 2; attempt++) {
          const resumed = yield* nextRequest(server)
          expect(JSON.parse(resumed.body).starting_after).toBe(2)
          resumed.destroy() // before any response
        }
        const result = yield* Fiber.join(fiber)
        const error = failureOf(result.exit) as LettaError.StreamTruncatedError
        expect([error._tag, error.runId, error.seqId, error.resumeAttempts]).toEqual([
          "StreamTruncatedError",
          runId,
          2,
          2
        ])
        expect(error.message).toContain("2 resume attempts failed")
        expect(contents(result.items)).toEqual(["a"])
        yield* noRequestWithin(server, 10_000)
      }))

    it.scoped("the schedule starts over whenever a resumed connection delivers something new", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({
          stream: (client) =>
            client.agents.messages.stream(agentId, { input: "x", background: true }, {
              resume: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(1)))
            })
        })
        first.write(ping(1))
        for (let seq = 2; seq <= 4; seq++) {
          const exchange = seq === 2 ? first : yield* nextRequest(server)
          if (seq > 2) expect(JSON.parse(exchange.body).starting_after).toBe(seq - 1)
          exchange.write(assistant(`m${seq}`, seq))
          yield* delivered(seq - 1)
          exchange.destroy()
        }
        const last = yield* nextRequest(server)
        last.write(stop("end_turn") + done)
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(contents(result.items)).toEqual(["m2", "m3", "m4", "stop_reason"])
      }))

    it.scoped("event: error after a resume fails the stream with the server's error, and is not resumed", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start()
        first.write(ping(1) + assistant("a", 2))
        yield* delivered(1)
        first.destroy()
        const resumed = yield* nextRequest(server)
        resumed.write(stop("llm_api_error") + errorEvent(4))
        const result = yield* Fiber.join(fiber)
        const error = failureOf(result.exit) as LettaError.StreamError
        expect([error._tag, error.errorType, error.runId]).toEqual(["StreamError", "internal_error", runId])
        expect(contents(result.items)).toEqual(["a", "stop_reason"])
        yield* noRequestWithin(server, 60_000)
      }))

    it.scoped("a foreground stream is never resumed", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({ background: false })
        first.write(ping(null) + assistant("a"))
        yield* delivered(1)
        first.destroy()
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.StreamTruncatedError
        expect([error._tag, error.runId]).toEqual(["StreamTruncatedError", runId])
        yield* noRequestWithin(server, 60_000)
      }))

    it.scoped("resume: false leaves a background stream's drop to the caller, with where to resume", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({
          stream: (client) => client.agents.messages.stream(agentId, { input: "x", background: true }, { resume: false })
        })
        first.write(ping(1) + assistant("a", 2))
        yield* delivered(1)
        first.end()
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.StreamTruncatedError
        expect([error._tag, error.runId, error.seqId]).toEqual(["StreamTruncatedError", runId, 2])
        yield* noRequestWithin(server, 60_000)
      }))

    it.scoped("pings asked for are delivered, keep-alives included, but a replayed first ping is not", () =>
      Effect.gen(function*() {
        const { delivered, fiber, first, server } = yield* start({
          stream: (client) =>
            client.conversations.messages.stream("conv-1", { input: "x", background: true }, { includePings: true })
        })
        expect(first.path).toBe("/v1/conversations/conv-1/messages")
        first.write(ping(1) + assistant("a", 2) + ping(2))
        yield* delivered(3)
        first.destroy()
        const resumed = yield* nextRequest(server)
        expect([resumed.path, JSON.parse(resumed.body)]).toEqual([resumePath, { starting_after: 2, include_pings: true }])
        resumed.write(ping(1) + ping(null) + assistant("b", 3) + frame({ message_type: "stop_reason", stop_reason: "end_turn" }) + done)
        const result = yield* Fiber.join(fiber)
        expect(result.types).toEqual(["ping", "assistant_message", "ping", "ping", "assistant_message", "stop_reason"])
      }))

    it.scoped("the total time limit holds across resumes", () =>
      Effect.gen(function*() {
        const { fiber, first, server } = yield* start({ timeouts: { idle: "20 seconds", total: "50 seconds" } })
        first.write(ping(1))
        // Each connection goes silent; the idle limit ends it, and a resume follows, until
        // the whole stream has taken its 50 seconds.
        let resumes = 0
        for (;;) {
          const next = yield* nextRequest(server, 60_000).pipe(Effect.option, Effect.catchAllDefect(() => Effect.succeedNone))
          if (Option.isNone(next) || fiber.unsafePoll() !== null) break
          resumes++
        }
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.TimeoutError
        expect([error._tag, error.limit, Duration.toSeconds(error.timeout), error.runId, error.seqId]).toEqual([
          "TimeoutError",
          "total",
          50,
          runId,
          1
        ])
        expect(resumes).toBeGreaterThanOrEqual(1)
        expect(resumes).toBeLessThanOrEqual(3)
      }))
  })
}
