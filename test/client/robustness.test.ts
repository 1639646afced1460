/**
 * Bad input, bad servers and time: every case ends in a value or a typed LettaError, never
 * a defect or a hang.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Chunk, ConfigError, Duration, Effect, Exit, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import { LettaClient, LettaError, Runs } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { httpClients, serverAndClient, services } from "./harness.js"

for (const http of httpClients) {
  describe(`robustness over ${http.name}`, () => {
    it.effect("a body JSON cannot carry is an InvalidRequestError, not a crash", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        for (const metadata of [{ n: 10n }, cyclic]) {
          const exit = yield* Effect.exit(client.agents.create({ name: "x", metadata }))
          expect(Exit.isFailure(exit) && !Exit.isInterrupted(exit)).toBe(true)
          const error = yield* client.agents.create({ name: "x", metadata }).pipe(Effect.flip)
          expect(error._tag).toBe("InvalidRequestError")
          expect(error.message).toContain("cannot be sent as JSON")
        }
        expect(yield* server.requests).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("values no decoder can convert are typed errors, not crashes: input, callback bodies", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "x" })
        yield* server.clearRequests
        // Effect's union search converts a discriminator with `String`: this one throws, and a
        // deeply nested one overflows the stack.
        const unprintable = { toString: 1, valueOf: 1 }
        const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`)
        for (const type of [unprintable, deep]) {
          const exit = yield* Effect.exit(
            client.agents.messages.create(agent.id, { messages: [{ type, role: "user", content: "x" }] })
          )
          expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("InvalidRequestError")
        }
        expect(yield* server.requests).toEqual([])
        // A callback body (whatever an app's HTTP server parsed) with such a message type in
        // its result: a DecodeError, where it used to be a defect.
        for (const type of [unprintable, deep]) {
          const body = {
            run_id: "run-1",
            status: "completed",
            completed_at: "2026-08-01T12:00:00",
            metadata: { result: { messages: [{ message_type: type }] } }
          }
          const callback = yield* Effect.exit(Runs.decodeCallback(body))
          expect(Exit.isFailure(callback) && callback.cause._tag === "Fail" && callback.cause.error._tag).toBe("DecodeError")
        }
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a misspelt option is reported, not silently dropped", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "x" })
        yield* server.clearRequests
        const error = yield* client.agents.messages.create(agent.id, {
          input: "hi",
          // @ts-expect-error `max_step` is not an option
          max_step: 3
        }).pipe(Effect.flip)
        expect(error._tag).toBe("InvalidRequestError")
        expect(error.message).toContain("max_step")
        expect(yield* server.requests).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a server that never answers times out, and the connection is closed", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        yield* server.injectFault(LettaTestServer.hang({ path: /^\/v1\/runs\// }))
        const fiber = yield* Effect.fork(client.runs.retrieve("run-00000000-0000-4000-8000-000000000000").pipe(Effect.flip))
        // Wait until the request is really held by the server, then let time pass.
        yield* Effect.repeat(server.requests, { until: (requests) => requests.length === 1 })
        yield* TestClock.adjust("29 seconds")
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("TimeoutError")
        expect(error._tag === "TimeoutError" && [error.limit, Duration.toMillis(error.timeout)]).toEqual(["total", 30_000])
        // It names the request (its URL read "<invalid url>": the base URL is prepended later).
        expect(error.message).toBe("GET /v1/runs/run-00000000-0000-4000-8000-000000000000 did not complete within 30s")
        yield* Effect.repeat(server.openConnections, { until: (open) => open === 0 })
      }).pipe(Effect.provide(serverAndClient(http.layer, {}, { timeout: "30 seconds" }))))

    it.effect("a list is a Stream value that can be run more than once", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "x" })
        yield* server.seedHistory(agent.id, 10)
        const list = client.agents.messages.list(agent.id, { limit: 3 })
        const first = yield* Stream.runCollect(list)
        const second = yield* Stream.runCollect(list)
        expect(Chunk.size(first)).toBe(31)
        expect(Chunk.toReadonlyArray(second)).toEqual(Chunk.toReadonlyArray(first))
        // Taking a few stops after the first page.
        yield* server.clearRequests
        expect(Chunk.size(yield* Stream.runCollect(Stream.take(list, 2)))).toBe(2)
        expect((yield* server.requests).length).toBe(1)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a run filtered by message type is read whole, not cut at an empty page", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* client.agents.create({ name: "x" })
        yield* client.agents.messages.create(agent.id, { input: "hi", include_return_message_types: ["assistant_message"] })
        const [run] = yield* client.runs.listPage({ agent_id: agent.id })
        // The server filters after paging: a one-message page of this run is empty.
        expect(yield* client.runs.messagesPage(run.id, { limit: 1 })).toEqual([])
        const all = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.messages(run.id, { limit: 1 })))
        expect(all.map((m) => m.message_type)).toEqual(["assistant_message"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("steps are walked with `after` the last step, page after page", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const step = (id: string) => ({ id, run_id: "run-1", tags: [], messages: [] })
        const pages = [[step("step-3"), step("step-2")], [step("step-1")], []]
        for (const page of pages) {
          yield* server.injectFault(LettaTestServer.respond({
            path: "/v1/runs/run-1/steps",
            status: 200,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(page)
          }))
        }
        const steps = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.steps("run-1", { limit: 2 })))
        expect(steps.map((s) => s.id)).toEqual(["step-3", "step-2", "step-1"])
        const cursors = (yield* server.requests).map((r) => r.query.params.after?.[0])
        expect(cursors).toEqual([undefined, "step-2", "step-1"])
        const refused = yield* Stream.runDrain(client.runs.steps("run-1", { before: "step-9" })).pipe(Effect.flip)
        expect(refused._tag).toBe("InvalidRequestError")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("messages of unknown types without an id do not trip the repeat check", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "x" })
        const message = (id: string) => ({
          id,
          date: "2026-08-01T12:00:00+00:00",
          message_type: "assistant_message",
          content: id
        })
        // Id-less items inside two consecutive pages; real servers always send ids, but an
        // item without one must not be taken for a repeat.
        const pages = [
          [message("message-1"), { message_type: "response_state" }, message("message-2")],
          [{ message_type: "response_state" }, message("message-3")],
          []
        ]
        for (const page of pages) {
          yield* server.injectFault(LettaTestServer.respond({
            path: `/v1/agents/${agent.id}/messages`,
            status: 200,
            body: JSON.stringify(page)
          }))
        }
        const all = Chunk.toReadonlyArray(yield* Stream.runCollect(client.agents.messages.list(agent.id, { order: "asc" })))
        expect(all.map((m) => m.message_type)).toEqual([
          "assistant_message",
          "unknown_message",
          "assistant_message",
          "unknown_message",
          "assistant_message"
        ])
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}

describe("errors as data", () => {
  it("every error survives a trip through JSON with its schema", () => {
    const errors: ReadonlyArray<LettaError.LettaError> = [
      new LettaError.RateLimitError({
        status: 429,
        method: "POST",
        url: "http://127.0.0.1/v1/agents/a/messages",
        error: new LettaError.ErrorEnvelope({ type: "llm_rate_limit", message: "slow down" }),
        retryAfter: Duration.seconds(7),
        requestId: "req-1"
      }),
      new LettaError.ConflictError({ status: 409, method: "POST", url: "http://x/", reason: "conversation_busy", runId: "run-1" }),
      new LettaError.TimeoutError({ method: "GET", url: "http://x/", limit: "total", timeout: Duration.minutes(10) }),
      new LettaError.TransportError({ method: "GET", url: "http://x/", phase: "request", description: "refused" }),
      new LettaError.DecodeError({ method: "GET", url: "http://x/", description: "bad", excerpt: "{}" }),
      new LettaError.InvalidRequestError({ operation: "Agents.create", description: "bad" })
    ]
    const codec = Schema.parseJson(LettaError.LettaError)
    for (const error of errors) {
      const back = Schema.decodeSync(codec)(Schema.encodeSync(codec)(error))
      expect(back).toEqual(error)
      expect(back.message).toBe(error.message)
    }
  })
})

describe("header values", () => {
  it.effect("characters HTTP cannot carry are a ConfigError at build time, not a crash mid-request", () =>
    Effect.gen(function*() {
      for (
        const options of [
          { apiKey: Redacted.make("sk-key\u200b") },
          { apiKey: Redacted.make("sk\u0001") },
          { headers: { "x-a": "\u0100" } },
          { projectId: "p\n" }
        ]
      ) {
        const error = yield* Layer.build(LettaClient.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
          Effect.scoped,
          Effect.flip
        )
        expect(ConfigError.isConfigError(error)).toBe(true)
        expect(String(error)).toContain("character HTTP does not allow")
      }
    }))
})
