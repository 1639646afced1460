/**
 * A broken or hostile server cannot make the client allocate without bound or wait without
 * end: a stream event over `maxEventSize` (or a line that never ends) fails the stream and
 * closes the connection; a JSON body over `maxResponseSize` fails once the bound is passed,
 * without downloading the rest; a list whose pages go round in a circle fails instead of
 * looping; and a resumed background stream told to wait a day by `Retry-After` still ends at
 * its total time limit. Everything on 127.0.0.1, with the TestClock where the client waits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Option, Stream, TestClock } from "effect"
import { LettaClient, type LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { httpClients } from "../client/harness.js"
import { realTick } from "../support/clock.js"
import { agentId, assistant, collect, failureOf, ping, runId } from "../support/frames.js"
import { expectTyped } from "../support/fuzz.js"
import { makeSseServer } from "../support/sseServer.js"

const encoder = new TextEncoder()

for (const http of httpClients) {
  describe(`bounds over ${http.name}`, () => {
    /** A scripted server and a client for it. */
    const setup = (options: Omit<LettaClient.Options, "baseUrl"> = {}) =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const client = yield* Layer.build(
          LettaClient.layer({ retry: false, ...options, baseUrl: server.url }).pipe(Layer.provide(http.layer))
        ).pipe(Effect.map(Context.get(LettaClient.LettaClient)))
        return { server, client }
      })

    it.scoped("an event over maxEventSize fails the stream after the events before it, and closes the connection", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup()
        const fiber = yield* Effect.fork(
          collect(client.agents.messages.stream(agentId, { input: "x" }, { maxEventSize: 64 * 1024 }))
        )
        const exchange = yield* server.next
        exchange.write(assistant("before") + `data: {"message_type":"assistant_message","content":"${"x".repeat(100_000)}"}\n\n`)
        const result = yield* Fiber.join(fiber)
        expect(result.types).toEqual(["assistant_message"])
        const error = failureOf(result.exit) as LettaError.DecodeError
        expect([error._tag, error.description]).toEqual(["DecodeError", "an event grew beyond 65536 characters"])
        for (let i = 0; i < 2_000 && exchange.closedAt() === undefined; i++) yield* realTick
        expect(exchange.closedAt()).toBeDefined()
      }))

    it.scoped("a line without end fails at the default bound instead of filling memory", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup()
        const fiber = yield* Effect.fork(collect(client.agents.messages.stream(agentId, { input: "x" })))
        const exchange = yield* server.next
        exchange.write(ping())
        // `data: xxxx…` for ever: no line end, so no event ever completes.
        exchange.write("data: ")
        const written = yield* exchange.flood(encoder.encode("x".repeat(64 * 1024)))
        const result = yield* Fiber.join(fiber)
        expect(failureOf(result.exit)._tag).toBe("DecodeError")
        expect(failureOf(result.exit).message).toContain(`an event grew beyond ${8 * 1024 * 1024} characters`)
        // The server stopped writing because the client closed the connection.
        expect(written).toBeGreaterThan(8 * 1024 * 1024)
        expect(exchange.closedAt()).toBeDefined()
      }))

    it.scoped("a JSON body over maxResponseSize fails once past the bound, the rest never downloaded", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup({ maxResponseSize: 1024 * 1024 })
        const fiber = yield* Effect.fork(Effect.exit(client.runs.retrieve("run-1")))
        const exchange = yield* server.next
        exchange.head(200, { "content-type": "application/json" })
        exchange.write(`{"id": "run-1", "padding": "`)
        // A body without end: only the bound, not its size, decides when the client stops.
        yield* exchange.flood(encoder.encode("y".repeat(64 * 1024)))
        const error = expectTyped(yield* Fiber.join(fiber))
        expect(error?._tag).toBe("DecodeError")
        expect(error?.message).toContain("the response body is larger than 1048576 bytes")
        expect((error as LettaError.DecodeError).excerpt.length).toBeLessThanOrEqual(1_001)
        expect(exchange.closedAt()).toBeDefined()
      }))

    it.effect("maxResponseSize must be a whole number of bytes", () =>
      Effect.gen(function*() {
        for (const maxResponseSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          const error = yield* Layer.build(LettaClient.layer({ maxResponseSize }).pipe(Layer.provide(http.layer))).pipe(
            Effect.scoped,
            Effect.flip
          )
          expect(String(error)).toContain("maxResponseSize")
        }
      }))

    it.scoped("a resumed stream told to wait a day still ends at its total time limit", () =>
      Effect.gen(function*() {
        const { client, server } = yield* setup()
        const stream = client.agents.messages.stream(agentId, { input: "x", background: true }, {
          timeouts: { total: "2 minutes" }
        })
        const fiber = yield* Effect.fork(collect(stream))
        const first = yield* server.next
        first.write(ping(1) + assistant("a", 2))
        yield* first.flushed
        first.destroy()
        // Every resume is refused: try again in a day.
        let resumes = 0
        let elapsed = 0
        while (fiber.unsafePoll() === null && elapsed < 10 * 60_000) {
          const next = yield* server.poll
          if (Option.isSome(next)) {
            resumes++
            expect(next.value.path).toBe(`/v1/runs/${runId}/stream`)
            next.value.head(429, { "content-type": "application/json", "retry-after": "86400" })
            next.value.write(`{"error": {"type": "llm_rate_limit", "message": "slow down"}}`)
            next.value.end()
          }
          for (let i = 0; i < 3; i++) yield* realTick
          yield* TestClock.adjust("1 second")
          elapsed += 1_000
        }
        // Still asleep ten minutes on would be the bug: waiting the whole day it was told to.
        expect(fiber.unsafePoll(), "the stream was still waiting").not.toBeNull()
        const result = yield* Fiber.join(fiber)
        expect(resumes).toBeGreaterThanOrEqual(1)
        const error = failureOf(result.exit) as LettaError.TimeoutError
        expect([error._tag, error.limit, error.runId, error.seqId]).toEqual(["TimeoutError", "total", runId, 2])
        // Within a moment of the limit, not a day later.
        expect(elapsed).toBeLessThanOrEqual(2 * 60_000 + 5_000)
      }))
  })
}

describe("paging bounds", () => {
  const layer = Layer.unwrapEffect(
    Effect.map(LettaTestServer.LettaTestServer, (server) => LettaClient.layer({ baseUrl: server.url, retry: false }))
  ).pipe(
    Layer.provideMerge(LettaTestServer.layer()),
    Layer.provide(httpClients[0].layer),
    Layer.orDie
  )
  const step = (id: string) => ({ id, run_id: "run-1", tags: [], messages: [] })

  it.effect("pages that go round in a circle fail instead of looping", () =>
    Effect.gen(function*() {
      const client = yield* LettaClient.LettaClient
      const server = yield* LettaTestServer.LettaTestServer
      // Two pages, each pointing at the other: no page repeats the one just before it.
      const pages = [[step("step-1"), step("step-2")], [step("step-3"), step("step-4")]]
      yield* server.injectFault(LettaTestServer.respond({
        path: "/v1/runs/run-1/steps",
        status: 200,
        body: JSON.stringify(pages[0])
      }))
      for (let i = 0; i < 50; i++) {
        yield* server.injectFault(LettaTestServer.respond({
          path: "/v1/runs/run-1/steps",
          status: 200,
          body: JSON.stringify(pages[(i + 1) % 2])
        }))
      }
      const received: Array<string> = []
      const exit = yield* Stream.runForEach(client.runs.steps("run-1", { limit: 2 }), (s) => Effect.sync(() => received.push(s.id)))
        .pipe(Effect.exit)
      const error = expectTyped(exit)
      expect(error?._tag).toBe("DecodeError")
      expect(error?.message).toContain("came back")
      // Each item once, then the failure: nothing repeated.
      expect(received).toEqual(["step-1", "step-2", "step-3", "step-4"])
      expect((yield* server.requests).length).toBe(3)
    }).pipe(Effect.provide(layer)))

  it.effect("a page that repeats the one before fails at once", () =>
    Effect.gen(function*() {
      const client = yield* LettaClient.LettaClient
      const server = yield* LettaTestServer.LettaTestServer
      yield* server.injectFault(LettaTestServer.respond({
        path: "/v1/runs/run-1/steps",
        status: 200,
        body: JSON.stringify([step("step-1")]),
        times: 50
      }))
      const received: Array<string> = []
      const exit = yield* Stream.runForEach(client.runs.steps("run-1"), (s) => Effect.sync(() => received.push(s.id)))
        .pipe(Effect.exit)
      expect(expectTyped(exit)?._tag).toBe("DecodeError")
      expect(received).toEqual(["step-1"])
    }).pipe(Effect.provide(layer)))
})
