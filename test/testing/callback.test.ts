import { describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Effect, Option, Queue, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { call, createAgent, eventually, turn } from "./helpers.js"

interface Hit {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** How the receiver treats a callback once its body has arrived. */
type Behaviour =
  | { readonly _tag: "Answer"; readonly status: number }
  /** closes the connection without a response */
  | { readonly _tag: "Close" }
  /** never answers */
  | { readonly _tag: "Hang" }
  /** promises 10 bytes of body, sends 3, then closes */
  | { readonly _tag: "ShortBody" }

interface Receiver {
  readonly url: string
  readonly port: number
  /** every callback received, as it arrives */
  readonly hits: Queue.Queue<Hit>
}

/** A callback receiver on 127.0.0.1, closed with the scope. */
const receiver = (behaviour: Behaviour): Effect.Effect<Receiver, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hits = yield* Queue.unbounded<Hit>()
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        Queue.unsafeOffer(hits, {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8")
        })
        switch (behaviour._tag) {
          case "Answer":
            res.writeHead(behaviour.status, { "content-type": "text/plain" })
            res.end("ok")
            break
          case "Close":
            req.socket.destroy()
            break
          case "Hang":
            break
          case "ShortBody":
            res.writeHead(200, { "content-length": "10" })
            res.write("abc", () => req.socket.destroy())
            break
        }
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    return { url: `http://127.0.0.1:${port}/hook?token=abc`, port, hits }
  })

/** A loopback port nobody listens on. */
const closedPort = Effect.async<number>((resume) => {
  const server = http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const sendAsync = (server: LettaTestServer.Service, agentId: string, body: Record<string, unknown>) =>
  call(server, "POST", `/v1/agents/${agentId}/messages/async`, { body }).pipe(Effect.map((r) => r.json.id as string))

const getRun = (server: LettaTestServer.Service, runId: string) =>
  call(server, "GET", `/v1/runs/${runId}`).pipe(Effect.map((r) => r.json))

/** The run once its callback outcome has been recorded. */
const afterCallback = (server: LettaTestServer.Service, runId: string) =>
  eventually(Effect.map(getRun(server, runId), (run) => (run.callback_sent_at === null ? undefined : run)))

const usage = (tokens: { prompt: number; completion: number }, steps: number) => ({
  message_type: "usage_statistics",
  completion_tokens: tokens.completion,
  prompt_tokens: tokens.prompt,
  total_tokens: tokens.prompt + tokens.completion,
  step_count: steps,
  run_ids: null,
  cached_input_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  context_tokens: null
})

/** Lets pending loopback I/O run (event-loop turns, not timers). */
const drainIo = Effect.forEach(Array.from({ length: 20 }), () => turn, { discard: true })

/** The receiver got nothing more, even with every pending send given its chance. */
const expectNoMoreHits = (hook: Receiver) =>
  Effect.gen(function*() {
    yield* drainIo
    expect(yield* Queue.size(hook.hits)).toBe(0)
  })

const errorPrefix = (runId: string, url: string) => `Failed to dispatch callback for run ${runId} to ${url}: `

describe("callback_url", () => {
  it.scoped("POSTs the finished run with its LettaResponse to a loopback receiver, once", () =>
    Effect.gen(function*() {
      const hook = yield* receiver({ _tag: "Answer", status: 202 })
      const server = yield* LettaTestServer.make({ asyncRunDelay: "1 second", apiKey: "s3cret" })
      const agentId = yield* call(server, "POST", "/v1/agents/", {
        body: { name: "cb" },
        headers: { authorization: "Bearer s3cret" }
      }).pipe(Effect.map((r) => r.json.id as string))
      const runId = yield* call(server, "POST", `/v1/agents/${agentId}/messages/async`, {
        body: { input: "ping me", callback_url: hook.url },
        headers: { authorization: "Bearer s3cret" }
      }).pipe(Effect.map((r) => r.json.id as string))
      const authed = { headers: { authorization: "Bearer s3cret" } }

      yield* TestClock.adjust("1 second")
      const hit = yield* Queue.take(hook.hits)
      expect(hit.method).toBe("POST")
      expect(hit.url).toBe("/hook?token=abc")
      expect(hit.headers["content-type"]).toBe("application/json")
      expect(hit.headers["user-agent"]).toBe("python-httpx/0.28.1")
      expect(hit.headers["content-length"]).toBe(String(Buffer.byteLength(hit.body)))
      // The server's own credentials never travel with the callback.
      expect(hit.headers["authorization"]).toBeUndefined()
      expect(hit.headers["x-bare-password"]).toBeUndefined()

      // result = LettaResponse(get_run_messages, the stop reason, get_run_usage), compact JSON in this order.
      const messages = (yield* call(server, "GET", `/v1/runs/${runId}/messages`, authed)).json
      expect(messages.map((m: any) => m.message_type)).toEqual(["user_message", "reasoning_message", "assistant_message"])
      const [step] = (yield* call(server, "GET", `/v1/runs/${runId}/steps`, authed)).json
      expect(hit.body).toBe(JSON.stringify({
        run_id: runId,
        status: "completed",
        completed_at: "1970-01-01T00:00:01",
        metadata: {
          run_type: "send_message_async",
          lettuce: null,
          result: {
            messages,
            stop_reason: { message_type: "stop_reason", stop_reason: "end_turn" },
            usage: usage({ prompt: step.prompt_tokens, completion: step.completion_tokens }, 1),
            logprobs: null,
            turns: null
          }
        }
      }))

      const run = (yield* call(server, "GET", `/v1/runs/${runId}`, authed)).json
      expect(run).toMatchObject({
        status: "completed",
        callback_url: hook.url,
        callback_sent_at: "1970-01-01T00:00:01",
        callback_status_code: 202,
        callback_error: null,
        // `result` only travels in the callback; the run's metadata stays as it was.
        metadata: { run_type: "send_message_async", lettuce: null }
      })
      expect(Object.keys(run.metadata)).toEqual(["run_type", "lettuce"])

      // One attempt, and only for the first terminal update.
      yield* TestClock.adjust("1 minute")
      expect(yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`, {
        body: { run_ids: [runId] },
        ...authed
      })).toMatchObject({ json: { [runId]: "cancelled" } })
      yield* expectNoMoreHits(hook)
    }))

  it.scoped("reports a failed run with its error and the result of what it left", () =>
    Effect.gen(function*() {
      const hook = yield* receiver({ _tag: "Answer", status: 500 })
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const runId = yield* sendAsync(server, agentId, { input: "/fail kaput", callback_url: hook.url })
      yield* TestClock.adjust("50 millis")
      const hit = yield* Queue.take(hook.hits)
      // The failed step stays in the usage (step_count 1, no tokens); nothing was persisted.
      expect(hit.body).toBe(JSON.stringify({
        run_id: runId,
        status: "failed",
        completed_at: "1970-01-01T00:00:00.050000",
        metadata: {
          run_type: "send_message_async",
          lettuce: null,
          error: "kaput",
          result: {
            messages: [],
            stop_reason: { message_type: "stop_reason", stop_reason: "error" },
            usage: usage({ prompt: 0, completion: 0 }, 1),
            logprobs: null,
            turns: null
          }
        }
      }))
      // An error status from the receiver is still an answer: recorded as its code, not as an error.
      expect(yield* afterCallback(server, runId)).toMatchObject({
        status: "failed",
        callback_sent_at: "1970-01-01T00:00:00.050000",
        callback_status_code: 500,
        callback_error: null
      })
    }))

  it.scoped("reports a cancelled run before the cancel request answers", () =>
    Effect.gen(function*() {
      const hook = yield* receiver({ _tag: "Answer", status: 200 })
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const runId = yield* sendAsync(server, agentId, { input: "never mind", callback_url: hook.url })
      yield* TestClock.adjust("10 millis")
      const cancelled = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`)
      expect(cancelled.json).toEqual({ [runId]: "cancelled" })
      // cancel_run awaits the callback, so it has been answered and recorded by now.
      expect(yield* Queue.size(hook.hits)).toBe(1)
      expect(yield* getRun(server, runId)).toMatchObject({
        status: "cancelled",
        callback_sent_at: "1970-01-01T00:00:00.010000",
        callback_status_code: 200,
        callback_error: null
      })
      const hit = yield* Queue.take(hook.hits)
      expect(JSON.parse(hit.body)).toEqual({
        run_id: runId,
        status: "cancelled",
        completed_at: "1970-01-01T00:00:00.010000",
        metadata: {
          run_type: "send_message_async",
          lettuce: null,
          result: {
            messages: [],
            stop_reason: { message_type: "stop_reason", stop_reason: "cancelled" },
            usage: usage({ prompt: 0, completion: 0 }, 0),
            logprobs: null,
            turns: null
          }
        }
      })
      // The interrupted turn never runs, so no second callback follows.
      yield* TestClock.adjust("1 minute")
      yield* expectNoMoreHits(hook)
    }))

  it.scoped("never contacts a host that is not loopback, and records why", () =>
    Effect.gen(function*() {
      const hook = yield* receiver({ _tag: "Answer", status: 200 })
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      // 0.0.0.0 would reach this very receiver on Linux, were it dialled.
      const urls = [
        `http://0.0.0.0:${hook.port}/hook`,
        "http://example.com/hook",
        `https://127.0.0.1:${hook.port}/hook`
      ]
      const runIds: Array<string> = []
      for (const url of urls) runIds.push(yield* sendAsync(server, agentId, { input: "x", callback_url: url }))
      yield* TestClock.adjust("50 millis")
      const runs = yield* Effect.forEach(runIds, (runId) => afterCallback(server, runId))
      expect(runs.map((r) => r.status)).toEqual(["completed", "completed", "completed"])
      expect(runs.map((r) => [r.callback_sent_at, r.callback_status_code])).toEqual([
        ["1970-01-01T00:00:00.050000", null],
        ["1970-01-01T00:00:00.050000", null],
        ["1970-01-01T00:00:00.050000", null]
      ])
      const loopbackOnly = "not sent: the test server only sends callbacks to loopback hosts (127.0.0.1, ::1, localhost)"
      expect(runs[0].callback_error).toBe(`${errorPrefix(runIds[0]!, urls[0]!)}${loopbackOnly}, not 0.0.0.0`)
      expect(runs[1].callback_error).toBe(`${errorPrefix(runIds[1]!, urls[1]!)}${loopbackOnly}, not example.com`)
      expect(runs[2].callback_error).toBe(
        `${errorPrefix(runIds[2]!, urls[2]!)}not sent: the test server sends callbacks over plain http only`
      )
      yield* expectNoMoreHits(hook)
    }))

  it.scoped("records a receiver that is not there, closes, or cuts its body short as httpx would report it", () =>
    Effect.gen(function*() {
      const closing = yield* receiver({ _tag: "Close" })
      const short = yield* receiver({ _tag: "ShortBody" })
      const nobody = `http://localhost:${yield* closedPort}/hook`
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const refusedRun = yield* sendAsync(server, agentId, { input: "x", callback_url: nobody })
      const closedRun = yield* sendAsync(server, agentId, { input: "x", callback_url: closing.url })
      const shortRun = yield* sendAsync(server, agentId, { input: "x", callback_url: short.url })
      yield* TestClock.adjust("50 millis")

      const refused = yield* afterCallback(server, refusedRun)
      expect(refused).toMatchObject({ status: "completed", callback_status_code: null })
      expect(refused.callback_error).toBe(
        `${errorPrefix(refusedRun, nobody)}ConnectError('All connection attempts failed')`
      )
      const closed = yield* afterCallback(server, closedRun)
      expect(closed).toMatchObject({ status: "completed", callback_status_code: null })
      expect(closed.callback_error).toBe(
        `${errorPrefix(closedRun, closing.url)}RemoteProtocolError('Server disconnected without sending a response.')`
      )
      expect(yield* Queue.size(closing.hits)).toBe(1)
      // The body is part of the exchange: a cut body loses the status code too.
      const cut = yield* afterCallback(server, shortRun)
      expect(cut).toMatchObject({ status: "completed", callback_status_code: null })
      expect(cut.callback_error).toBe(
        `${errorPrefix(shortRun, short.url)}RemoteProtocolError('peer closed connection without sending complete message body (received 3 bytes, expected 10)')`
      )
    }))

  it.scoped("gives up on a silent receiver after 5 s of the server's clock", () =>
    Effect.gen(function*() {
      const hook = yield* receiver({ _tag: "Hang" })
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const runId = yield* sendAsync(server, agentId, { input: "x", callback_url: hook.url })
      yield* TestClock.adjust("50 millis")
      yield* Queue.take(hook.hits)
      // The run is terminal before its callback is done, as on the real server.
      expect(yield* getRun(server, runId)).toMatchObject({ status: "completed", callback_sent_at: null })
      // Let the server take in everything the connection has reported before the clock moves.
      yield* drainIo

      yield* TestClock.adjust("4999 millis")
      yield* drainIo
      expect(yield* getRun(server, runId)).toMatchObject({ callback_sent_at: null, callback_error: null })
      yield* TestClock.adjust("1 millis")
      const run = yield* afterCallback(server, runId)
      // callback_sent_at is taken before the attempt.
      expect(run).toMatchObject({ callback_sent_at: "1970-01-01T00:00:00.050000", callback_status_code: null })
      expect(run.callback_error).toBe(`${errorPrefix(runId, hook.url)}ReadTimeout('')`)
      expect(Option.isNone(yield* Queue.poll(hook.hits))).toBe(true)
    }))
})
