import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Duration, Effect, Either, Exit, Fiber, Layer, Logger, Schedule, Scope, Stream, TestClock } from "effect"
import { LettaClient, type LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { agentId, assistant, collect, done, errorEvent, failureOf, frame, message, ping, runId, stop, usage } from "../support/frames.js"
import { makeSseServer } from "../support/sseServer.js"
import { httpClients, serverAndClient, services } from "./harness.js"

/** A stream with pings forked in the background, recording the types it delivers. */
const forkRecordingTypes = (client: LettaClient.LettaClient["Type"]) =>
  Effect.gen(function*() {
    const received: Array<string> = []
    const fiber = yield* Effect.fork(
      Stream.runForEach(
        client.agents.messages.stream(agentId, { input: "x" }, { includePings: true }),
        (m) => Effect.sync(() => received.push(m.message_type))
      ).pipe(Effect.flip)
    )
    return { fiber, received }
  })

for (const http of httpClients) {
  describe(`streams over ${http.name}`, () => {
    /** The next send to the agent's messages endpoint gets `body` as an event stream. */
    const cannedStream = (body: string, contentType = "text/event-stream; charset=utf-8") =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "s" })
        yield* server.injectFault(LettaTestServer.respond({
          method: "POST",
          path: `/v1/agents/${agent.id}/messages`,
          status: 200,
          headers: { "content-type": contentType },
          body
        }))
        return { client, agent }
      })

    it.effect("streams a turn through the SDK-version gate, pings filtered unless asked for", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "s" })
        yield* server.clearRequests
        const quiet = yield* collect(client.agents.messages.stream(agent.id, { input: "hi" }))
        expect(Exit.isSuccess(quiet.exit)).toBe(true)
        expect(quiet.types).toEqual(["reasoning_message", "assistant_message", "stop_reason", "usage_statistics"])
        const [request] = yield* server.requests
        // `input` goes out as the user message the server would make of it, with an otid.
        expect(JSON.parse(request.body)).toEqual({
          messages: [{ type: "message", role: "user", content: "hi", otid: expect.stringMatching(/^[0-9a-f-]{36}$/) }],
          streaming: true,
          include_pings: true
        })
        expect(request.headers.accept).toBe("text/event-stream")
        const loud = yield* collect(client.agents.messages.stream(agent.id, { input: "hi" }, { includePings: true }))
        expect(loud.types[0]).toBe("ping")
        expect(loud.items[0].message_type === "ping" && loud.items[0].run_id).toMatch(/^run-/)
        const legacy = yield* collect(client.agents.messages.streamLegacy(agent.id, { input: "old" }))
        expect(legacy.types).toEqual(quiet.types)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("an HTTP error before the stream starts is the same typed error as for JSON calls", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const unknown = yield* collect(client.agents.messages.stream("agent-00000000-0000-4000-8000-000000000000", {
          input: "hi"
        }))
        expect(failureOf(unknown.exit)._tag).toBe("NotFoundError")
        const invalid = yield* collect(client.agents.messages.stream("..", { input: "hi" }))
        expect(failureOf(invalid.exit)._tag).toBe("InvalidRequestError")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("[DONE] ends the stream; whatever follows is not read", () =>
      Effect.gen(function*() {
        const { client, agent } = yield* cannedStream(ping() + assistant("a") + stop("end_turn") + usage + done + "data: {garbage\n\n")
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.types).toEqual(["assistant_message", "stop_reason", "usage_statistics"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("event: error fails the stream after delivering everything before it, in both shapes", () =>
      Effect.gen(function*() {
        const letta = yield* cannedStream(assistant("partial") + stop("llm_api_error") + errorEvent())
        const first = yield* collect(letta.client.agents.messages.stream(letta.agent.id, { input: "x" }))
        expect(first.types).toEqual(["assistant_message", "stop_reason"])
        const error = failureOf(first.exit) as LettaError.StreamError
        expect([error._tag, error.errorType, error.serverMessage, error.detail, error.runId]).toEqual([
          "StreamError",
          "internal_error",
          "An error occurred",
          "boom",
          runId
        ])
        expect(error.message).toContain("internal_error: An error occurred (boom)")
        const wrapper = yield* cannedStream(
          assistant("a") + `event: error\ndata: {"error": "wrapped failure", "code": "INTERNAL_SERVER_ERROR"}\n\n`
        )
        const second = yield* collect(wrapper.client.agents.messages.stream(wrapper.agent.id, { input: "x" }))
        const plain = failureOf(second.exit) as LettaError.StreamError
        expect([plain.errorType, plain.serverMessage, plain.runId]).toEqual([
          "INTERNAL_SERVER_ERROR",
          "wrapped failure",
          runId
        ])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("cancellation ends the stream as cancelled, not as a success", () =>
      Effect.gen(function*() {
        // The cancellation wrapper's own stop reason (json.dumps spacing), then EOF.
        const wrapper = yield* cannedStream(
          assistant("a") + `data: {"message_type": "stop_reason", "stop_reason": "cancelled"}\n\n`
        )
        const first = yield* collect(wrapper.client.agents.messages.stream(wrapper.agent.id, { input: "x" }))
        expect(first.types).toEqual(["assistant_message", "stop_reason"])
        expect(failureOf(first.exit)._tag).toBe("StreamCancelledError")
        expect((failureOf(first.exit) as LettaError.StreamCancelledError).runId).toBe(runId)
        const event = yield* cannedStream(assistant("a") + `event: cancelled\ndata: {"message": "Run was cancelled"}\n\n`)
        const second = yield* collect(event.client.agents.messages.stream(event.agent.id, { input: "x" }))
        expect(failureOf(second.exit)._tag).toBe("StreamCancelledError")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("several stop reasons are all delivered; the server going on after an error stop reason is fine", () =>
      Effect.gen(function*() {
        const { client, agent } = yield* cannedStream(
          assistant("a") + stop("error") + assistant("retried") + stop("end_turn") + usage + done
        )
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.items.filter((m) => m.message_type === "stop_reason").map((m) =>
          m.message_type === "stop_reason" && m.stop_reason
        )).toEqual(["error", "end_turn"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("EOF without a terminal event is a truncation carrying the last run id and seq_id", () =>
      Effect.gen(function*() {
        const { client, agent } = yield* cannedStream(ping(1) + assistant("a", 2) + assistant("b", 3) + stop("end_turn") + usage)
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))
        expect(result.types).toEqual(["assistant_message", "assistant_message", "stop_reason", "usage_statistics"])
        const error = failureOf(result.exit) as LettaError.StreamTruncatedError
        expect([error._tag, error.runId, error.seqId]).toEqual(["StreamTruncatedError", runId, 3])
        expect(error.message).toContain("ended without a terminal event")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("unknown message types arrive as UnknownMessage; malformed frames fail, or are skipped on request", () =>
      Effect.gen(function*() {
        const body = frame({ message_type: "response_state", state: 1 }) + "data: {not json\n\n" +
          message("assistant_message", { content: 42 }) + assistant("ok") + stop("end_turn") + usage + done
        const strict = yield* cannedStream(body)
        const failed = yield* collect(strict.client.agents.messages.stream(strict.agent.id, { input: "x" }))
        expect(failed.types).toEqual(["unknown_message"])
        const error = failureOf(failed.exit) as LettaError.DecodeError
        expect(error._tag).toBe("DecodeError")
        expect(error.description).toContain("event 2 is not JSON")
        expect(error.excerpt).toBe("{not json")
        const lenient = yield* cannedStream(body)
        const warnings: Array<string> = []
        const skipped = yield* collect(
          lenient.client.agents.messages.stream(lenient.agent.id, { input: "x" }, { onMalformedEvent: "skip" })
        ).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => warnings.push(String(message)))))
        )
        expect(Exit.isSuccess(skipped.exit)).toBe(true)
        expect(skipped.types).toEqual(["unknown_message", "assistant_message", "stop_reason", "usage_statistics"])
        expect(warnings).toHaveLength(2)
        expect(warnings[1]).toContain("event 3")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a JSON answer where a stream was expected is reported, never an empty success", () =>
      Effect.gen(function*() {
        const { client, agent } = yield* cannedStream(`{"messages": []}`, "application/json")
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))
        const error = failureOf(result.exit) as LettaError.DecodeError
        expect(error.description).toBe("expected an event stream, got application/json")
        expect(error.excerpt).toBe(`{"messages": []}`)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("an event beyond the size limit fails the stream with a typed error", () =>
      Effect.gen(function*() {
        const { client, agent } = yield* cannedStream(assistant("x".repeat(5_000)) + done)
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }, { maxEventSize: 1_000 }))
        expect(failureOf(result.exit)._tag).toBe("DecodeError")
        expect((failureOf(result.exit) as LettaError.DecodeError).description).toContain("beyond 1000 characters")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("CRLF line ends, comments and retry fields are all read per the SSE rules", () =>
      Effect.gen(function*() {
        const body = (": keepalive\r\nretry: 5000\r\n" + assistant("a") + stop("end_turn") + done).replace(/\n/g, "\r\n")
        const { client, agent } = yield* cannedStream(body)
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.types).toEqual(["assistant_message", "stop_reason"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })

  describe(`stream time limits over ${http.name}`, () => {
    // Built in the test's scope: the HTTP client's resources (undici's dispatcher) must
    // outlive the service lookup.
    const clientFor = (url: string, timeouts?: LettaClient.Options["streamTimeouts"]) =>
      Layer.build(LettaClient.layer({ baseUrl: url, streamTimeouts: timeouts }).pipe(Layer.provide(http.layer))).pipe(
        Effect.map(Context.get(LettaClient.LettaClient))
      )

    it.scoped("no response headers within the limit: a TimeoutError naming it", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url)
        const fiber = yield* Effect.fork(collect(client.agents.messages.stream(agentId, { input: "x" })))
        yield* server.next // the request arrived; the server never answers it
        yield* TestClock.adjust("2 minutes")
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 minute")
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.TimeoutError
        expect([error._tag, error.limit, Duration.toMinutes(error.timeout)]).toEqual(["TimeoutError", "headers", 3])
      }))

    it.scoped("silence between events: pings keep it alive, then the idle limit ends it", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url, { idle: "30 seconds" })
        const { fiber, received } = yield* forkRecordingTypes(client)
        const exchange = yield* server.next
        exchange.write(ping())
        yield* Effect.repeat(Effect.sync(() => received.length), { until: (n) => n === 1 })
        for (let i = 0; i < 3; i++) {
          yield* TestClock.adjust("25 seconds")
          exchange.write(ping())
          yield* Effect.repeat(Effect.sync(() => received.length), { until: (n) => n === i + 2 })
        }
        yield* TestClock.adjust("30 seconds")
        const error = (yield* Fiber.join(fiber)) as LettaError.TimeoutError
        expect([error._tag, error.limit]).toEqual(["TimeoutError", "idle"])
        expect(received).toEqual(["ping", "ping", "ping", "ping"])
      }))

    it.scoped("headers that come late start the idle limit from when they came", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url, { idle: "30 seconds" })
        const { fiber, received } = yield* forkRecordingTypes(client)
        const exchange = yield* server.next
        // Waiting for headers is under the headers limit (3 minutes), not the idle one.
        yield* TestClock.adjust("130 seconds")
        expect(fiber.unsafePoll()).toBeNull()
        exchange.write(ping())
        yield* Effect.repeat(Effect.sync(() => received.length), { until: (n) => n === 1 })
        yield* TestClock.adjust("29 seconds")
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 second")
        const error = (yield* Fiber.join(fiber)) as LettaError.TimeoutError
        expect([error._tag, error.limit]).toEqual(["TimeoutError", "idle"])
      }))

    it.scoped("a stream that never ends hits the total limit", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url, { idle: "1 minute", total: "5 minutes" })
        const fiber = yield* Effect.fork(collect(client.agents.messages.stream(agentId, { input: "x" })))
        const exchange = yield* server.next
        for (let i = 0; i < 10; i++) {
          exchange.write(ping())
          yield* TestClock.adjust("40 seconds")
        }
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.TimeoutError
        expect([error._tag, error.limit]).toEqual(["TimeoutError", "total"])
      }))

    it.scoped("a per-call limit overrides the client's", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url)
        const fiber = yield* Effect.fork(
          collect(client.agents.messages.stream(agentId, { input: "x" }, { timeouts: { headers: "10 seconds" } }))
        )
        yield* server.next
        yield* TestClock.adjust("10 seconds")
        expect((failureOf((yield* Fiber.join(fiber)).exit) as LettaError.TimeoutError).limit).toBe("headers")
      }))

    it.scoped("streams started one after another each keep their own limits, a shorter one started later too", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url)
        const stream = (headers: Duration.DurationInput) =>
          Effect.fork(collect(client.agents.messages.stream(agentId, { input: "x" }, { timeouts: { headers } })))
        const long = yield* stream("3 minutes")
        yield* server.next
        yield* TestClock.adjust("5 seconds")
        const short = yield* stream("10 seconds")
        yield* server.next
        yield* TestClock.adjust("9 seconds")
        expect(short.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 second")
        expect((failureOf((yield* Fiber.join(short)).exit) as LettaError.TimeoutError).limit).toBe("headers")
        expect(long.unsafePoll()).toBeNull()
        yield* TestClock.adjust("164 seconds")
        expect(long.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 second")
        expect((failureOf((yield* Fiber.join(long)).exit) as LettaError.TimeoutError).limit).toBe("headers")
      }))

    it.scoped("a zero idle limit ends the stream once its first event is read, without waiting", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* clientFor(server.url, { idle: 0 })
        const { fiber, received } = yield* forkRecordingTypes(client)
        const exchange = yield* server.next
        exchange.write(ping())
        yield* Effect.repeat(Effect.sync(() => received.length), { until: (n) => n === 1 })
        yield* TestClock.adjust("1 millis")
        const error = (yield* Fiber.join(fiber)) as LettaError.TimeoutError
        expect([error._tag, error.limit]).toEqual(["TimeoutError", "idle"])
      }))
  })

  describe(`cancellation by interruption over ${http.name}`, () => {
    /** Starts a stream whose server keeps it open, and waits for its first event. */
    const openStream = Effect.gen(function*() {
      const server = yield* makeSseServer
      const client = yield* Layer.build(LettaClient.layer({ baseUrl: server.url }).pipe(Layer.provide(http.layer))).pipe(
        Effect.map(Context.get(LettaClient.LettaClient))
      )
      return { server, client }
    })

    /** Real milliseconds from `start` until the server saw the socket close. */
    const closedWithin = (exchange: { readonly closedAt: () => number | undefined }, start: number) =>
      Effect.gen(function*() {
        // Polled on the live clock, so the socket's close event can arrive in between.
        for (let i = 0; i < 5_000 && exchange.closedAt() === undefined; i++) yield* Effect.sleep("1 millis")
        const closed = exchange.closedAt()
        expect(closed, "the server never saw the socket close").toBeDefined()
        return closed! - start
      })

    it.live("interrupting the consumer closes the socket", () =>
      Effect.gen(function*() {
        const { client, server } = yield* openStream
        const received = yield* Effect.sync(() => ({ n: 0 }))
        const fiber = yield* Effect.fork(
          Stream.runForEach(client.agents.messages.stream(agentId, { input: "x" }), () => Effect.sync(() => received.n++))
        )
        const exchange = yield* server.next
        exchange.write(assistant("a"))
        yield* Effect.repeat(Effect.sync(() => received.n), { until: (n) => n === 1, schedule: Schedule.spaced("1 millis") })
        const start = performance.now()
        yield* Fiber.interrupt(fiber)
        expect(yield* closedWithin(exchange, start)).toBeLessThan(100)
      }).pipe(Effect.scoped))

    it.live("Stream.take, a terminal event and a timeout each close the socket", () =>
      Effect.gen(function*() {
        const { client, server } = yield* openStream
        // take: the consumer has what it wants.
        const taken = yield* Effect.fork(Stream.runCollect(Stream.take(client.agents.messages.stream(agentId, { input: "x" }), 1)))
        const first = yield* server.next
        first.write(assistant("a"))
        yield* Fiber.join(taken)
        expect(yield* closedWithin(first, performance.now())).toBeLessThan(100)
        // [DONE] while the server keeps the connection open: the client closes it.
        const finished = yield* Effect.fork(Stream.runDrain(client.agents.messages.stream(agentId, { input: "x" })))
        const second = yield* server.next
        second.write(assistant("a") + stop("end_turn") + usage + done)
        yield* Fiber.join(finished)
        expect(yield* closedWithin(second, performance.now())).toBeLessThan(100)
        // A timeout around the consumer.
        const timed = yield* Effect.fork(
          Stream.runDrain(client.agents.messages.stream(agentId, { input: "x" })).pipe(Effect.timeout("50 millis"), Effect.either)
        )
        const third = yield* server.next
        third.write(ping())
        const outcome = yield* Fiber.join(timed)
        expect(Either.isLeft(outcome) && outcome.left._tag).toBe("TimeoutException")
        expect(yield* closedWithin(third, performance.now())).toBeLessThan(100)
      }).pipe(Effect.scoped))

    it.live("closing the scope that holds a stream closes the socket", () =>
      Effect.gen(function*() {
        const { client, server } = yield* openStream
        const scope = yield* Scope.make()
        const pull = yield* Stream.toPull(client.agents.messages.stream(agentId, { input: "x" })).pipe(Scope.extend(scope))
        const pulled = yield* Effect.fork(pull)
        const exchange = yield* server.next
        exchange.write(assistant("a"))
        const chunk = yield* Fiber.join(pulled)
        expect(Chunk.size(chunk)).toBe(1)
        const start = performance.now()
        yield* Scope.close(scope, Exit.void)
        expect(yield* closedWithin(exchange, start)).toBeLessThan(100)
        yield* Effect.repeat(server.openSockets, { until: (n) => n === 0, schedule: Schedule.spaced("1 millis") })
      }).pipe(Effect.scoped))
  })
}
