/**
 * Retries against the embedded server, with the TestClock: which failures are retried, how
 * long the client waits, and that no send is ever repeated where the server could run the
 * turn twice.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Chunk,
  Clock,
  ConfigProvider,
  Context,
  Effect,
  Exit,
  Fiber,
  HashMap,
  Layer,
  Logger,
  LogLevel,
  Option,
  Random,
  Scope,
  Stream,
  TestClock
} from "effect"
import { LettaClient, type LettaError, Retry } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import * as net from "node:net"
import * as FaultProxy from "../support/faultProxy.js"
import { makeRecordingTracer } from "../support/recordingTracer.js"
import { httpClients, serverAndClient, services } from "./harness.js"

/** A pause in real time, so that polling lets the sockets make progress. */
const pause = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))

/** Waits (in real time) until `check` holds. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>): Effect.Effect<void, E, R> =>
  Effect.flatMap(check, (ok) => (ok ? Effect.void : Effect.zipRight(pause, eventually(check))))

/** The waits the client announced before its retries, read from its debug log. */
const retryLog = () => {
  const delays: Array<number> = []
  const logger = Logger.make(({ annotations }) => {
    const delay = HashMap.get(annotations, "letta.retry.delay_ms")
    if (Option.isSome(delay)) delays.push(delay.value as number)
  })
  return {
    delays,
    /** How many of `delays` `letRetry` has let pass. */
    passed: 0,
    provide: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Debug))
  }
}

/**
 * Lets the next `count` retries happen: each time, waits until the client has failed an
 * attempt and is asleep for the wait it logged, then moves the clock to the end of it.
 * Returns the waits.
 */
const letRetry = (log: ReturnType<typeof retryLog>, count: number) =>
  Effect.gen(function*() {
    const waits: Array<number> = []
    for (let i = 0; i < count; i++) {
      const index = log.passed++
      yield* eventually(Effect.sync(() => log.delays.length > index))
      const delay = log.delays[index]
      const now = yield* Clock.currentTimeMillis
      if (delay > 0) {
        yield* eventually(Effect.map(TestClock.sleeps(), Chunk.some((at) => at === now + delay)))
        yield* TestClock.adjust(delay)
      }
      waits.push(delay)
    }
    return waits
  })

const requestsTo = (server: LettaTestServer.Service, path: string | RegExp) =>
  Effect.map(server.requests, (all) =>
    all.filter((request) => (typeof path === "string" ? request.path === path : path.test(request.path))))

const someRun = "run-00000000-0000-4000-8000-000000000000"

/** An event stream answer with a run id and a normal ending, as a canned response. */
const cannedTurn = [
  `data: {"id":"ping-1","date":"2026-08-01T12:00:00+00:00","message_type":"ping","run_id":"run-canned","seq_id":1}`,
  `data: {"message_type":"stop_reason","stop_reason":"end_turn"}`,
  `data: [DONE]`,
  ``
].join("\n\n")

const sse = { "content-type": "text/event-stream; charset=utf-8" }

/** A port that was just free: a server bound and released it. */
const freePort = Effect.async<number>((resume) => {
  const probe = net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as net.AddressInfo
    probe.close(() => resume(Effect.succeed(port)))
  })
})

const userMessages = (client: LettaClient.Service, agentId: string) =>
  Effect.map(
    Stream.runCollect(client.agents.messages.list(agentId, { order: "asc" })),
    (all) => Chunk.toReadonlyArray(all).filter((m) => m.message_type === "user_message")
  )

const bodyOf = (request: LettaTestServer.RecordedRequest) => JSON.parse(request.body) as Record<string, any>

/** A client of its own, beside the test's, for the life of the scope. */
const clientWith = (http: (typeof httpClients)[number], options: LettaClient.Options) =>
  Layer.build(LettaClient.layer(options).pipe(Layer.provide(http.layer), Layer.orDie)).pipe(
    Effect.map(Context.get(LettaClient.LettaClient))
  )

/** A fresh agent and conversation, the path of its messages, and no requests recorded yet. */
const aConversation = Effect.gen(function*() {
  const { client, server } = yield* services
  const agent = yield* client.agents.create({ name: "conversing" })
  const conversation = yield* client.conversations.create(agent.id)
  yield* server.clearRequests
  return { client, server, agent, conversation, path: `/v1/conversations/${conversation.id}/messages` }
})

for (const http of httpClients) {
  describe(`retries over ${http.name}`, () => {
    it.effect("transient failures of a read: exponential backoff, capped, until the attempts run out", () => {
      const log = retryLog()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 503, times: 4 }))
        yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 504, times: 5 }))
        const fiber = yield* Effect.fork(client.runs.retrieve(someRun))
        expect(yield* letRetry(log, 4)).toEqual([100, 200, 300, 300])
        const error = yield* Fiber.join(fiber).pipe(Effect.flip)
        // The last attempt's error, as it was.
        expect(error._tag === "ServerError" && error.status).toBe(504)
        expect((yield* requestsTo(server, /^\/v1\/runs\//)).length).toBe(5)
        expect(log.delays.length).toBe(4)
      }).pipe(
        log.provide,
        Effect.provide(serverAndClient(http.layer, {}, {
          retry: { maxAttempts: 5, initialDelay: "100 millis", factor: 2, maxDelay: "300 millis", jitter: 0 }
        }))
      )
    })

    it.effect("408, 429, 500, 502, 503 and 504 are retried; the retry can succeed", () => {
      const log = retryLog()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "retried" })
        for (const status of [408, 429, 500, 502, 503, 504]) {
          yield* server.clearRequests
          yield* server.injectFault(LettaTestServer.respond({ path: `/v1/agents/${agent.id}`, status }))
          const fiber = yield* Effect.fork(client.agents.retrieve(agent.id))
          yield* letRetry(log, 1)
          expect((yield* Fiber.join(fiber)).id).toBe(agent.id)
          expect((yield* server.requests).length).toBe(2)
        }
      }).pipe(log.provide, Effect.provide(serverAndClient(http.layer, {}, { retry: { jitter: 0 } })))
    })

    it.effect("501, 505, other 4xx (409 included) and timeouts are not retried", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const cases = [
          [501, "ServerError"],
          [505, "ServerError"],
          [400, "BadRequestError"],
          [404, "NotFoundError"],
          [409, "ConflictError"],
          [422, "UnprocessableEntityError"]
        ] as const
        for (const [status, tag] of cases) {
          yield* server.clearRequests
          yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status, body: "{}", times: 3 }))
          const error = yield* client.runs.retrieve(someRun).pipe(Effect.flip)
          expect([error._tag, (error as LettaError.HttpError).status]).toEqual([tag, status])
          expect((yield* server.requests).length).toBe(1)
          yield* server.clearFaults
        }
        // A request that times out has used its time: it is not sent again.
        yield* server.clearRequests
        yield* server.injectFault(LettaTestServer.hang({ path: /^\/v1\/runs\//, times: 3 }))
        const fiber = yield* Effect.fork(client.runs.retrieve(someRun))
        yield* eventually(Effect.map(server.requests, (requests) => requests.length === 1))
        yield* TestClock.adjust("5 seconds")
        const timeout = yield* Fiber.join(fiber).pipe(Effect.flip)
        expect(timeout._tag).toBe("TimeoutError")
        expect((yield* server.requests).length).toBe(1)
      }).pipe(
        // No wait between attempts, so a wrong retry would show at once in the counts.
        Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: 0 }, timeout: "5 seconds" }))
      ))

    it.effect("a dropped connection before any response is retried for a read", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "dropped" })
        yield* server.clearRequests
        yield* server.injectFault(LettaTestServer.destroy({ path: `/v1/agents/${agent.id}`, times: 2 }))
        expect((yield* client.agents.retrieve(agent.id)).id).toBe(agent.id)
        expect((yield* server.requests).length).toBe(3)
      }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: 0 } }))))

    it.effect("Retry-After in seconds, as an HTTP date and as retry-after-ms replaces the backoff, capped", () => {
      const log = retryLog()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "patient" })
        const waitFor = (headers: Record<string, string>, status = 503) =>
          Effect.gen(function*() {
            yield* server.clearRequests
            yield* server.injectFault(LettaTestServer.respond({ path: `/v1/agents/${agent.id}`, status, headers }))
            const fiber = yield* Effect.fork(client.agents.retrieve(agent.id))
            const [wait] = yield* letRetry(log, 1)
            yield* Fiber.join(fiber)
            expect((yield* server.requests).length).toBe(2)
            return wait
          })
        expect(yield* waitFor({ "retry-after": "2" }, 429)).toBe(2_000)
        expect(yield* waitFor({ "retry-after-ms": "1500", "retry-after": "9" })).toBe(1_500)
        // An HTTP date is read against the Effect Clock (here the TestClock's time).
        const now = yield* Clock.currentTimeMillis
        const at = Math.ceil((now + 5_000) / 1_000) * 1_000
        expect(yield* waitFor({ "retry-after": new Date(at).toUTCString() })).toBe(at - now)
        expect(yield* waitFor({ "retry-after": new Date(0).toUTCString() })).toBe(0)
        // Capped at maxRetryAfter.
        expect(yield* waitFor({ "retry-after": "3600" })).toBe(10_000)
        // Not a number or a date: the backoff applies.
        expect(yield* waitFor({ "retry-after": "-1" })).toBe(100)
      }).pipe(
        log.provide,
        Effect.provide(serverAndClient(http.layer, {}, {
          retry: { initialDelay: "100 millis", jitter: 0, maxRetryAfter: "10 seconds" }
        }))
      )
    })

    it.effect("jitter shortens each wait by at most its fraction (a fixed Random at both ends)", () => {
      const log = retryLog()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 502, times: 3 }))
        const fiber = yield* Effect.fork(client.runs.retrieve(someRun).pipe(Effect.withRandom(Random.fixed([0, 1]))))
        // 1 s scaled by 0.75 (the lowest draw), then 2 s by 1 (the highest).
        expect(yield* letRetry(log, 2)).toEqual([750, 2_000])
        expect((yield* Fiber.join(fiber).pipe(Effect.flip))._tag).toBe("ServerError")
      }).pipe(
        log.provide,
        Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: "1 second", jitter: 0.25 } }))
      )
    })

    it.effect("per call: Retry.withPolicy and withPolicyStream refine or turn off the client's policy", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "policies" })
        const attempts = <A, E>(call: Effect.Effect<A, E>) =>
          Effect.gen(function*() {
            yield* server.clearRequests
            yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 503, times: 10 }))
            yield* server.injectFault(
              LettaTestServer.respond({ path: `/v1/agents/${agent.id}/messages`, status: 503, times: 10 })
            )
            const exit = yield* Effect.exit(call)
            yield* server.clearFaults
            expect(Exit.isFailure(exit)).toBe(true)
            return (yield* server.requests).length
          })
        const retrieve = client.runs.retrieve(someRun)
        expect(yield* attempts(retrieve)).toBe(4)
        expect(yield* attempts(Retry.withPolicy(retrieve, false))).toBe(1)
        expect(yield* attempts(retrieve.pipe(Retry.withPolicy({ maxAttempts: 2 })))).toBe(2)
        // The innermost setting wins, and an outer one reaches every request inside.
        expect(yield* attempts(retrieve.pipe(Retry.withPolicy({ maxAttempts: 2 }), Retry.withPolicy(false)))).toBe(2)
        expect(yield* attempts(Effect.zip(retrieve, retrieve).pipe(Retry.withPolicy({ maxAttempts: 3 })))).toBe(3)
        const list = Stream.runDrain(client.agents.messages.list(agent.id))
        expect(yield* attempts(list)).toBe(4)
        expect(yield* attempts(Stream.runDrain(client.agents.messages.list(agent.id).pipe(Retry.withPolicyStream(false)))))
          .toBe(1)
        // A policy that makes no sense is refused before anything is sent.
        yield* server.clearRequests
        const invalid = yield* retrieve.pipe(Retry.withPolicy({ maxAttempts: 0 }), Effect.flip)
        expect(invalid._tag).toBe("InvalidRequestError")
        expect(invalid.message).toContain("maxAttempts")
        expect(yield* server.requests).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: { maxAttempts: 4, initialDelay: 0 } }))))

    it.effect("retry: false on the client; a call can still ask for retries", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 503, times: 10 }))
        yield* client.runs.retrieve(someRun).pipe(Effect.flip)
        expect((yield* server.requests).length).toBe(1)
        yield* client.runs.retrieve(someRun).pipe(Retry.withPolicy({ maxAttempts: 3, initialDelay: 0 }), Effect.flip)
        expect((yield* server.requests).length).toBe(4)
      }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: false }))))

    it.effect("LETTA_MAX_RETRIES sets the retries of layerConfig; 0 turns them off; invalid values are refused", () =>
      Effect.gen(function*() {
        const server = yield* LettaTestServer.make()
        const attemptsWith = (value: string) =>
          Effect.gen(function*() {
            yield* server.clearRequests
            yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, status: 503, times: 10 }))
            yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.retrieve(someRun)).pipe(
              Retry.withPolicy({ initialDelay: 0 }),
              Effect.provide(LettaClient.layerConfig().pipe(Layer.provide(http.layer))),
              Effect.withConfigProvider(
                ConfigProvider.fromMap(new Map([["LETTA_BASE_URL", server.url], ["LETTA_MAX_RETRIES", value]]))
              ),
              Effect.flip
            )
            yield* server.clearFaults
            return (yield* server.requests).length
          })
        expect(yield* attemptsWith("1")).toBe(2)
        expect(yield* attemptsWith("0")).toBe(1)
        // Empty counts as unset: the default 3 attempts.
        expect(yield* attemptsWith("")).toBe(3)
        const invalid = yield* Layer.build(LettaClient.layerConfig().pipe(Layer.provide(http.layer))).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LETTA_MAX_RETRIES", "two"]]))),
          Effect.scoped,
          Effect.flip
        )
        expect(String(invalid)).toContain("LETTA_MAX_RETRIES")
        const badPolicy = yield* Layer.build(
          LettaClient.layer({ retry: { jitter: 2 } }).pipe(Layer.provide(http.layer))
        ).pipe(Effect.scoped, Effect.flip)
        expect(String(badPolicy)).toContain("jitter")
      }).pipe(Effect.scoped))

    describe("sends are never repeated where the server could run the turn twice", () => {
      it.effect("a 5xx or 429 from the turn itself: one request, one run, the typed error at once", () =>
        Effect.gen(function*() {
          const { client, server } = yield* services
          const agent = yield* client.agents.create({ name: "turns" })
          const cases = [
            ["llm_rate_limit", 429],
            ["llm_error", 500],
            ["mcp_connection_error", 502],
            ["llm_timeout", 504]
          ] as const
          for (const [type, status] of cases) {
            const error = yield* client.agents.messages.create(agent.id, { input: `/llm-error ${type}` }).pipe(Effect.flip)
            expect((error as LettaError.HttpError).status).toBe(status)
          }
          const conversation = yield* client.conversations.create(agent.id)
          const fromConversation = yield* client.conversations.messages.create(conversation.id, {
            input: "/llm-error llm_error"
          }).pipe(Effect.flip)
          expect((fromConversation as LettaError.HttpError).status).toBe(500)
          expect((yield* requestsTo(server, `/v1/agents/${agent.id}/messages`)).length).toBe(4)
          expect((yield* requestsTo(server, `/v1/conversations/${conversation.id}/messages`)).length).toBe(1)
          expect((yield* client.runs.listPage({ agent_id: agent.id })).length).toBe(5)
        }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: 0 } }))))

      it.effect("answers lost after the turn ran (5xx, dropped connection, no answer): one user message, one run", () =>
        Effect.gen(function*() {
          const { client, server } = yield* services
          const proxy = yield* FaultProxy.make(server.url)
          const viaProxy = yield* clientWith(http, { baseUrl: proxy.url, retry: { initialDelay: 0 }, timeout: "5 seconds" })
          const agent = yield* client.agents.create({ name: "lost" })
          const outcomes: ReadonlyArray<[FaultProxy.Outcome, string]> = [
            [{ _tag: "Respond", status: 502 }, "ServerError"],
            [{ _tag: "Respond", status: 503 }, "ServerError"],
            [{ _tag: "Destroy" }, "TransportError"],
            [{ _tag: "Hang" }, "TimeoutError"]
          ]
          let turns = 0
          for (const [outcome, tag] of outcomes) {
            for (const send of ["create", "stream"] as const) {
              yield* proxy.next(outcome)
              const handledBefore = yield* proxy.handled
              const call = send === "create"
                ? viaProxy.agents.messages.create(agent.id, { input: `${outcome._tag} ${send}` })
                : Stream.runDrain(viaProxy.agents.messages.stream(agent.id, { input: `${outcome._tag} ${send}` }))
              const fiber = yield* Effect.fork(Effect.flip(call))
              if (outcome._tag === "Hang") {
                yield* eventually(Effect.map(proxy.handled, (handled) => handled > handledBefore))
                yield* TestClock.adjust(send === "create" ? "5 seconds" : "3 minutes")
              }
              const error = yield* Fiber.join(fiber)
              expect(error._tag).toBe(tag)
              turns++
              expect(yield* proxy.handled).toBe(handledBefore + 1)
              expect((yield* userMessages(client, agent.id)).length).toBe(turns)
              expect((yield* client.runs.listPage({ agent_id: agent.id })).length).toBe(turns)
            }
          }
        }).pipe(Effect.scoped, Effect.provide(serverAndClient(http.layer))))

      it.effect("async sends, compaction, agent and conversation creation and foreground streams: one request", () =>
        Effect.gen(function*() {
          const { client, server } = yield* services
          const agent = yield* client.agents.create({ name: "once" })
          const conversation = yield* client.conversations.create(agent.id)
          const sends: ReadonlyArray<[string | RegExp, Effect.Effect<unknown, LettaError.LettaError>]> = [
            [`/v1/agents/${agent.id}/messages/async`, client.agents.messages.createAsync(agent.id, { input: "hi" })],
            [`/v1/agents/${agent.id}/summarize`, client.agents.messages.compact(agent.id)],
            ["/v1/agents/", client.agents.create({ name: "x" })],
            ["/v1/conversations/", client.conversations.create(agent.id)],
            [
              `/v1/agents/${agent.id}/messages`,
              Stream.runDrain(client.agents.messages.stream(agent.id, { input: "hi", background: true }))
            ],
            [`/v1/agents/${agent.id}/messages/stream`, Stream.runDrain(client.agents.messages.streamLegacy(agent.id, { input: "hi" }))],
            [
              `/v1/conversations/${conversation.id}/messages`,
              Stream.runDrain(client.conversations.messages.stream(conversation.id, { input: "hi" }))
            ]
          ]
          for (const [path, send] of sends) {
            for (const fault of [LettaTestServer.respond({ path, status: 503, times: 3 }), LettaTestServer.destroy({ path, times: 3 })]) {
              yield* server.clearRequests
              yield* server.injectFault(fault)
              const error = yield* Effect.flip(send)
              expect(error._tag).toBe(fault._tag === "Respond" ? "ServerError" : "TransportError")
              expect((yield* server.requests).length).toBe(1)
              yield* server.clearFaults
            }
          }
          expect((yield* client.runs.listPage({ agent_id: agent.id })).length).toBe(0)
        }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: 0 } }))))

      it.effect("a refused connection is retried, for sends too: the send goes through once a server is there", () => {
        const log = retryLog()
        return Effect.gen(function*() {
          const port = yield* freePort
          const client = yield* clientWith(http, {
            baseUrl: `http://127.0.0.1:${port}`,
            retry: { maxAttempts: 3, initialDelay: "1 second", jitter: 0 }
          })
          const fiber = yield* Effect.fork(client.agents.create({ name: "late" }))
          yield* eventually(Effect.sync(() => log.delays.length === 1))
          log.passed = 1
          // The server comes up during the wait.
          const serverScope = yield* Scope.make()
          const server = yield* LettaTestServer.make({ port }).pipe(Scope.extend(serverScope))
          const now = yield* Clock.currentTimeMillis
          yield* eventually(Effect.map(TestClock.sleeps(), Chunk.some((at) => at === now + 1_000)))
          yield* TestClock.adjust("1 second")
          expect((yield* Fiber.join(fiber)).name).toBe("late")
          expect((yield* server.requests).map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/agents/"])
          yield* Scope.close(serverScope, Exit.void)

          // Nobody ever answers: every attempt is made, then the typed error.
          const refused = yield* Effect.fork(
            Stream.runDrain(client.agents.messages.stream("agent-00000000-0000-4000-8000-000000000000", { input: "hi" }))
          )
          expect(yield* letRetry(log, 2)).toEqual([1_000, 2_000])
          const error = yield* Fiber.join(refused).pipe(Effect.flip)
          expect(error._tag === "TransportError" && error.phase).toBe("connect")
        }).pipe(log.provide, Effect.scoped)
      })
    })

    describe("background conversation streams, which the server deduplicates by otid", () => {
      it.effect("are retried before the stream starts, with the same otids; a new call has new ones", () => {
        const log = retryLog()
        return Effect.gen(function*() {
          const { client, conversation, path, server } = yield* aConversation
          yield* server.injectFault(LettaTestServer.respond({ path, status: 502 }))
          yield* server.injectFault(LettaTestServer.destroy({ path }))
          yield* server.injectFault(LettaTestServer.respond({ path, status: 503, headers: { "retry-after-ms": "10" } }))
          yield* server.injectFault(LettaTestServer.respond({ path, status: 200, headers: sse, body: cannedTurn }))
          const send = client.conversations.messages.stream(conversation.id, { input: "hello", background: true })
          const fiber = yield* Effect.fork(Stream.runCollect(send))
          expect(yield* letRetry(log, 3)).toEqual([100, 200, 10])
          const events = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
          expect(events.map((event) => event.message_type)).toEqual(["stop_reason"])
          const bodies = (yield* server.requests).map(bodyOf)
          expect(bodies.length).toBe(4)
          // `input` travels as the user message the server would make of it, with an otid.
          const [first] = bodies
          expect(first.input).toBeUndefined()
          expect(first.messages).toEqual([
            { type: "message", role: "user", content: "hello", otid: expect.stringMatching(/^[0-9a-f-]{36}$/) }
          ])
          expect(bodies.every((body) => JSON.stringify(body) === JSON.stringify(first))).toBe(true)

          // A new call: new otids. A server without Redis answers a background send with a
          // 503 (after recording a failed run): configuration, not load, so it is not retried.
          yield* server.clearRequests
          yield* server.injectFault(LettaTestServer.respond({
            path,
            status: 503,
            body: JSON.stringify({
              detail: "Background streaming requires Redis to be running. Please ensure Redis is properly " +
                "configured. LETTA_REDIS_HOST: None, LETTA_REDIS_PORT: 6379"
            })
          }))
          const noRedis = yield* Stream.runDrain(send).pipe(Effect.flip)
          expect(noRedis._tag === "ServerError" && noRedis.status).toBe(503)
          const [again] = (yield* server.requests).map(bodyOf)
          expect((yield* server.requests).length).toBe(1)
          expect(again.messages[0].otid).not.toBe(first.messages[0].otid)
        }).pipe(
          log.provide,
          Effect.provide(serverAndClient(http.layer, {}, { retry: { maxAttempts: 4, initialDelay: "100 millis", jitter: 0 } }))
        )
      })

      it.effect("the headers time limit covers the retries, and ends a wait that would outlast it", () => {
        const log = retryLog()
        return Effect.gen(function*() {
          const { client, conversation, path, server } = yield* aConversation
          yield* server.injectFault(LettaTestServer.respond({ path, status: 503, headers: { "retry-after": "30" }, times: 3 }))
          const send = client.conversations.messages.stream(conversation.id, { input: "hi", background: true }, {
            timeouts: { headers: "5 seconds" }
          })
          const fiber = yield* Effect.fork(Stream.runDrain(send))
          yield* eventually(Effect.sync(() => log.delays.length === 1))
          expect(log.delays).toEqual([30_000])
          yield* TestClock.adjust("5 seconds")
          const error = yield* Fiber.join(fiber).pipe(Effect.flip)
          expect(error._tag === "TimeoutError" && error.limit).toBe("headers")
          expect((yield* server.requests).length).toBe(1)
        }).pipe(log.provide, Effect.provide(serverAndClient(http.layer)))
      })

      it.effect("a busy conversation (409) is not retried, nor a stream that broke after it started", () =>
        Effect.gen(function*() {
          const { client, conversation, path, server } = yield* aConversation
          // Resuming a broken background stream (a read of the run, not a new send) is tested
          // in resume.test.ts; here only the send itself is watched.
          const send = Stream.runDrain(
            client.conversations.messages.stream(conversation.id, { input: "hi", background: true }, { resume: false })
          )
          yield* server.injectFault(LettaTestServer.respond({
            path,
            status: 409,
            headers: { "retry-after": "1" },
            body: JSON.stringify({
              detail: "CONFLICT: Cannot send a new message: Another request (run_id=run-1) is currently being processed " +
                "for this conversation. Please wait for it to complete.",
              run_id: "run-1"
            }),
            times: 3
          }))
          const busy = yield* Effect.flip(send)
          expect(busy._tag === "ConflictError" && [busy.reason, busy.runId]).toEqual(["conversation_busy", "run-1"])
          expect((yield* server.requests).length).toBe(1)
          yield* server.clearFaults

          yield* server.clearRequests
          const truncated = cannedTurn.split("\n\n")[0] + "\n\n"
          yield* server.injectFault(LettaTestServer.respond({ path, status: 200, headers: sse, body: truncated, times: 3 }))
          const cut = yield* Effect.flip(send)
          expect(cut._tag === "StreamTruncatedError" && cut.runId).toBe("run-canned")
          expect((yield* server.requests).length).toBe(1)
        }).pipe(Effect.provide(serverAndClient(http.layer, {}, { retry: { initialDelay: 0 } }))))
    })

    it.effect("otids: a caller's own are kept, every message gets one, the server stores them, the span shows them", () => {
      const { layer: tracing, spans } = makeRecordingTracer()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "otids" })
        yield* server.clearRequests
        yield* client.agents.messages.create(agent.id, {
          messages: [
            { role: "system", content: "be brief" },
            { role: "user", content: [{ type: "text", text: "hi" }], otid: "mine-1" }
          ]
        })
        yield* client.agents.messages.create(agent.id, { input: [{ type: "text", text: "again" }] })
        const [first, second] = (yield* server.requests).map(bodyOf)
        const generated = first.messages[0].otid
        expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(first.messages[1].otid).toBe("mine-1")
        expect(second.messages).toEqual([
          { type: "message", role: "user", content: [{ type: "text", text: "again" }], otid: expect.any(String) }
        ])
        expect(second.messages[0].otid).not.toBe(generated)
        const stored = (yield* userMessages(client, agent.id)).map((m) => m.otid)
        expect(stored).toEqual(["mine-1", second.messages[0].otid])
        const sent = spans.filter((span) => span.name === "Messages.create").map((span) => span.attributes.get("letta.otids"))
        expect(sent).toEqual([[generated, "mine-1"], [second.messages[0].otid]])
        yield* Stream.runDrain(client.agents.messages.stream(agent.id, { input: "streamed" }))
        const streamed = spans.find((span) => span.name === "Messages.stream")?.attributes.get("letta.otids")
        expect(streamed).toEqual([(yield* userMessages(client, agent.id))[2].otid])
      }).pipe(Effect.provide(Layer.merge(serverAndClient(http.layer), tracing)))
    })
  })
}
