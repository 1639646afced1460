import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, eventually, openSse } from "./helpers.js"

const payload = (event: string): any => JSON.parse(event.slice("data: ".length))

/** A real wait: long enough for a loopback answer that was going to come. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 50)))

const sendPath = (agentId: string) => `/v1/agents/${agentId}/messages`

const stream = (server: LettaTestServer.Service, agentId: string, input: string) =>
  Effect.flatMap(openSse(server, sendPath(agentId), { streaming: true, input }), (connection) => connection.drain)

const runsOf = (server: LettaTestServer.Service, agentId: string) =>
  call(server, "GET", `/v1/runs/?agent_id=${agentId}&order=asc`).pipe(Effect.map((r) => r.json as Array<any>))

/** The statuses of `n` GETs of the run list. */
const statuses = (server: LettaTestServer.Service, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => Effect.map(call(server, "GET", "/v1/runs/"), (r) => r.status))

describe("Respond and Destroy", () => {
  it.scoped("Respond sends status, headers and body verbatim, for `times` requests", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
      yield* server.injectFault(LettaTestServer.respond({
        path: "/v1/runs/",
        status: 502,
        headers: { "content-type": "text/html" },
        body: html,
        times: 2
      }))
      for (let i = 0; i < 2; i++) {
        const reply = yield* call(server, "GET", "/v1/runs/")
        expect(reply.status).toBe(502)
        expect(reply.headers.get("content-type")).toBe("text/html")
        expect(reply.text).toBe(html)
      }
      const normal = yield* call(server, "GET", "/v1/runs/")
      expect(normal.status).toBe(200)
      expect(normal.json).toEqual([])
    }))

  it.scoped("matches on method and regular expressions, and can be cleared", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault({ _tag: "Respond", method: "post", path: /\/messages$/, status: 429, body: "{\"detail\":" })
      const get = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(get.status).toBe(200)
      const post = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "x" } })
      expect(post.status).toBe(429)
      expect(post.text).toBe("{\"detail\":")

      yield* server.injectFault(LettaTestServer.respond({ path: "/v1/runs/", status: 204, times: 5 }))
      yield* server.clearFaults
      expect((yield* call(server, "GET", "/v1/runs/")).status).toBe(200)
      yield* server.injectFault(LettaTestServer.respond({ path: "/v1/runs/", status: 503 }))
      const empty = yield* call(server, "GET", "/v1/runs/")
      expect(empty.status).toBe(503)
      expect(empty.text).toBe("")
    }))

  it.scoped("Destroy drops the connection without a response", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      yield* server.injectFault(LettaTestServer.destroy({ path: "/v1/runs/" }))
      const failed = yield* Effect.tryPromise(() => fetch(`${server.url}/v1/runs/`)).pipe(Effect.flip)
      expect(failed._tag).toBe("UnknownException")
      expect(String((failed.error as Error).cause)).toMatch(/socket|closed|ECONNRESET/i)
      const next = yield* call(server, "GET", "/v1/runs/")
      expect(next.status).toBe(200)
    }))
})

describe("rate limits and server errors", () => {
  it.scoped("rateLimited answers the provider-error 429 with Retry-After for `times` requests", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault(LettaTestServer.rateLimited({
        method: "POST",
        path: /\/messages$/,
        retryAfter: 7,
        times: 2
      }))
      for (let i = 0; i < 2; i++) {
        const limited = yield* call(server, "POST", sendPath(agentId), { body: { input: "x" } })
        expect(limited.status).toBe(429)
        expect(limited.headers.get("retry-after")).toBe("7")
        expect(limited.headers.get("content-type")).toBe("application/json")
        expect(limited.text).toBe(
          "{\"error\":{\"type\":\"llm_rate_limit\",\"message\":\"Rate limit exceeded for LLM model provider. " +
            "Please wait before making another request.\",\"detail\":\"RATE_LIMIT_EXCEEDED: Rate limited by the test " +
            "server's rateLimited fault\"}}"
        )
      }
      const through = yield* call(server, "POST", sendPath(agentId), { body: { input: "x" } })
      expect(through.status).toBe(200)
      // The refused sends never reached the agent.
      expect(yield* runsOf(server, agentId)).toHaveLength(1)

      // An HTTP-date Retry-After and extra headers go out verbatim.
      const date = "Wed, 21 Oct 2015 07:28:00 GMT"
      yield* server.injectFault(LettaTestServer.rateLimited({
        path: "/v1/runs/",
        retryAfter: date,
        headers: { "retry-after-ms": "1500" }
      }))
      const dated = yield* call(server, "GET", "/v1/runs/")
      expect(dated.status).toBe(429)
      expect(dated.headers.get("retry-after")).toBe(date)
      expect(dated.headers.get("retry-after-ms")).toBe("1500")
      // Without retryAfter there is no header, as from the OSS server.
      yield* server.injectFault(LettaTestServer.rateLimited({ path: "/v1/runs/" }))
      const plain = yield* call(server, "GET", "/v1/runs/")
      expect(plain.status).toBe(429)
      expect(plain.headers.has("retry-after")).toBe(false)
    }))

  it.scoped("serverErrors answers the next N requests with a 5xx and the catch-all body", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      yield* server.injectFault(LettaTestServer.serverErrors({ path: "/v1/runs/", status: 503, times: 3 }))
      const first = yield* call(server, "GET", "/v1/runs/")
      expect(first.json).toEqual({ detail: "An unknown error occurred" })
      expect(yield* statuses(server, 3)).toEqual([503, 503, 200])
      yield* server.injectFault(LettaTestServer.serverErrors({ path: "/v1/runs/", times: 1 }))
      expect(yield* statuses(server, 2)).toEqual([500, 200])
    }))

  it.scoped("faults are consumed in injection order, each request getting the first that matches", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      yield* server.injectFault(LettaTestServer.respond({ method: "DELETE", path: "/v1/runs/", status: 418 }))
      yield* server.injectFault(LettaTestServer.serverErrors({ path: "/v1/runs/", times: 2 }))
      yield* server.injectFault(LettaTestServer.rateLimited({ path: /^\/v1\/runs/, times: 1 }))
      expect(yield* statuses(server, 4)).toEqual([500, 500, 429, 200])
      // The DELETE-only fault is still waiting for its method.
      expect((yield* call(server, "DELETE", "/v1/runs/")).status).toBe(418)
    }))
})

describe("Cut", () => {
  it.scoped("drops an SSE response after n events, pings included, while the run goes on", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault(LettaTestServer.cut({ method: "POST", path: sendPath(agentId), afterEvents: 2 }))
      const { end, events } = yield* stream(server, agentId, "hi")
      expect(end).toBe("Reset")
      expect(events.map((e) => payload(e).message_type)).toEqual(["ping", "reasoning_message"])
      const runId = payload(events[0]!).run_id
      yield* eventually(Effect.map(server.streams, (s) => (s[0]!.done ? true : undefined)))
      expect((yield* server.streams)[0]!.frames).toEqual(events)
      expect((yield* call(server, "GET", `/v1/runs/${runId}`)).json).toMatchObject({
        status: "completed",
        stop_reason: "end_turn"
      })
      // Used up: the next stream is whole.
      const next = yield* stream(server, agentId, "again")
      expect(next.end).toBe("Eof")
      expect(next.events.at(-1)).toBe("data: [DONE]\n\n")
    }))

  it.scoped("with afterEvents 0 drops the connection before the status line", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault(LettaTestServer.cut({ path: sendPath(agentId), afterEvents: 0 }))
      const exit = yield* Effect.exit(Effect.scoped(stream(server, agentId, "hi")))
      expect(exit._tag).toBe("Failure")
      const [run] = yield* eventually(Effect.map(
        runsOf(server, agentId),
        (runs) => (runs[0]?.status === "completed" ? runs : undefined)
      ))
      expect(run).toMatchObject({ stop_reason: "end_turn" })
    }))

  it.scoped("random cuts are drawn from the seeded PRNG: reproducible, within [1, randomMax]", () =>
    Effect.gen(function*() {
      const cutsWith = (options: { readonly seed?: number; readonly randomMax?: number }) =>
        Effect.gen(function*() {
          const server = yield* LettaTestServer.make({ seed: options.seed })
          const agentId = yield* createAgent(server)
          yield* server.injectFault(LettaTestServer.cut({
            path: sendPath(agentId),
            afterEvents: "random",
            randomMax: options.randomMax,
            times: 8
          }))
          const counts: Array<number> = []
          for (let i = 0; i < 8; i++) {
            const { end, events } = yield* stream(server, agentId, `message ${i}`)
            expect(end).toBe("Reset")
            counts.push(events.length)
          }
          // The server wrote exactly what the client got.
          expect((yield* server.streams).map((s) => s.frames.length)).toEqual(counts)
          return counts
        })
      const seeded = yield* cutsWith({ seed: 7 })
      expect(yield* cutsWith({ seed: 7 })).toEqual(seeded)
      expect(yield* cutsWith({ seed: 8 })).not.toEqual(seeded)
      expect(seeded.every((n) => n >= 1 && n <= 5)).toBe(true)
      expect(new Set(seeded).size).toBeGreaterThan(1)
      // Without a seed the sequence is still the same every time.
      expect(yield* cutsWith({})).toEqual(yield* cutsWith({}))
      const short = yield* cutsWith({ seed: 7, randomMax: 2 })
      expect(short.every((n) => n === 1 || n === 2)).toBe(true)
      expect(new Set(short).size).toBe(2)
    }))

  it.scoped("loses a JSON answer (errors included) while the request still takes effect", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault(LettaTestServer.cut({ method: "POST", path: sendPath(agentId), afterEvents: 3 }))
      const lost = yield* Effect.tryPromise(() =>
        fetch(server.url + sendPath(agentId), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: "lost" })
        })
      ).pipe(Effect.flip)
      expect(lost._tag).toBe("UnknownException")
      // The turn happened: a retry must not assume it did not.
      const runs = yield* runsOf(server, agentId)
      expect(runs).toHaveLength(1)
      expect(runs[0]).toMatchObject({ status: "completed", stop_reason: "end_turn" })
      const history = (yield* call(server, "GET", `${sendPath(agentId)}?order=asc`)).json
      expect(history.at(-1)).toMatchObject({ message_type: "assistant_message", content: "You said: lost" })

      // A 404 is lost the same way, and a random cut of a JSON answer is no different.
      yield* server.injectFault(LettaTestServer.cut({ path: /^\/v1\/agents\//, afterEvents: "random" }))
      yield* server.injectFault(LettaTestServer.cut({ path: "/v1/runs/", afterEvents: 1 }))
      for (const path of ["/v1/agents/agent-00000000-0000-4000-8000-000000000000", "/v1/runs/"]) {
        const failed = yield* Effect.tryPromise(() => fetch(server.url + path)).pipe(Effect.flip)
        expect(failed._tag).toBe("UnknownException")
      }
      expect((yield* call(server, "GET", "/v1/runs/")).status).toBe(200)
    }))
})

describe("Delay", () => {
  it.scoped("holds a request on the server's clock, then handles it normally", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.injectFault(LettaTestServer.delay({ method: "POST", path: sendPath(agentId), duration: "10 seconds" }))
      const fiber = yield* Effect.fork(call(server, "POST", sendPath(agentId), { body: { input: "later" } }))
      // Wait (in real time) until the request sleeps on the TestClock.
      yield* eventually(Effect.map(TestClock.sleeps(), (s) => (Chunk.isNonEmpty(s) ? true : undefined)))
      yield* settle
      expect(fiber.unsafePoll()).toBeNull()
      // Nothing was handled yet.
      expect(yield* runsOf(server, agentId)).toEqual([])

      yield* TestClock.adjust("9999 millis")
      yield* settle
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const reply = yield* Fiber.join(fiber)
      expect(reply.status).toBe(200)
      expect(reply.json.messages.at(-1)).toMatchObject({ content: "You said: later" })
      // Used up: the next request is answered at once, with the clock standing still.
      const next = yield* call(server, "POST", sendPath(agentId), { body: { input: "now" } })
      expect(next.status).toBe(200)
    }))
})
