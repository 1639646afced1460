/**
 * `runs.stream` (reading a background run's stream again), attaching to a busy
 * conversation's run, cancelling a run when its stream's consumer stops, and the errors of
 * a server without stream storage. The embedded server has no background streams yet, so
 * the resume endpoint's answers are canned (as the real server writes them).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Logger, Stream } from "effect"
import type { LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { advance, realTick } from "../support/clock.js"
import { assistant, collect, done, failureOf, ping, runId, stop, usage } from "../support/frames.js"
import { httpClients, serverAndClient, services } from "./harness.js"

const noRedis = JSON.stringify({
  detail: "Background streaming requires Redis to be running. Please ensure Redis is properly configured. " +
    "LETTA_REDIS_HOST: None, LETTA_REDIS_PORT: 6379"
})

const agentId = "agent-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00"
const sse = { "content-type": "text/event-stream; charset=utf-8" }

/** A background run as `GET /v1/runs/{run_id}` shows it. */
const backgroundRun = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: runId,
    status: "running",
    created_at: "2026-08-01T12:00:00.481516Z",
    completed_at: null,
    agent_id: agentId,
    conversation_id: null,
    base_template_id: null,
    background: true,
    metadata: { run_type: "send_message_streaming" },
    request_config: null,
    stop_reason: null,
    callback_url: null,
    callback_sent_at: null,
    callback_status_code: null,
    callback_error: null,
    ttft_ns: null,
    total_duration_ns: null,
    ...fields
  })

/** Cans the run and the answers to its resume requests, in order. */
const cannedRun = (...streams: ReadonlyArray<{ readonly status?: number; readonly body: string }>) =>
  Effect.gen(function*() {
    const { server } = yield* services
    yield* server.injectFault(LettaTestServer.respond({
      method: "GET",
      path: `/v1/runs/${runId}`,
      status: 200,
      headers: { "content-type": "application/json" },
      body: backgroundRun()
    }))
    for (const stream of streams) {
      const status = stream.status ?? 200
      yield* server.injectFault(LettaTestServer.respond({
        method: "POST",
        path: `/v1/runs/${runId}/stream`,
        status,
        headers: status === 200 ? sse : { "content-type": "application/json" },
        body: stream.body
      }))
    }
  })

const streamRequests = Effect.map(
  Effect.flatMap(services, ({ server }) => server.requests),
  (requests) => requests.filter((r) => r.path.endsWith("/stream")).map((r) => `${r.method} ${r.path} ${r.body}`)
)

const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "s" }))

for (const http of httpClients) {
  describe(`runs.stream over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)

    it.effect("reads the run first, then streams after starting_after, dropping anything at or before it", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        yield* cannedRun({ body: assistant("old", 5) + assistant("new", 6) + stop("end_turn") + usage + done })
        const result = yield* collect(client.runs.stream(runId, { starting_after: 5 }))
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.items.map((m) => m.message_type === "assistant_message" ? m.content : m.message_type)).toEqual([
          "new",
          "stop_reason",
          "usage_statistics"
        ])
        const requests = (yield* server.requests).map((r) => `${r.method} ${r.path}`)
        expect(requests).toEqual([`GET /v1/runs/${runId}`, `POST /v1/runs/${runId}/stream`])
        expect(yield* streamRequests).toEqual([
          `POST /v1/runs/${runId}/stream {"include_pings":true,"starting_after":5}`
        ])
      }).pipe(Effect.provide(layer)))

    it.effect("starts from 0 by default, passes the read options, and resumes by itself", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        yield* cannedRun(
          { body: ping(1) + assistant("a", 2) },
          { body: assistant("a", 2) + assistant("b", 3) + stop("end_turn") + done }
        )
        const fiber = yield* Effect.fork(collect(client.runs.stream(runId, { batch_size: 1000 })))
        // The first body ends without a terminal event; the resume waits its first delay.
        while (fiber.unsafePoll() === null) yield* advance("100 millis")
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.types).toEqual(["assistant_message", "assistant_message", "stop_reason"])
        expect((yield* streamRequests).map((r) => JSON.parse(r.slice(r.indexOf("{"))))).toEqual([
          { include_pings: true, batch_size: 1000, starting_after: 0 },
          { include_pings: true, batch_size: 1000, starting_after: 2 }
        ])
      }).pipe(Effect.provide(layer)))

    it.effect("an async run is refused without asking for its stream; so is a foreground run", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const async = yield* client.agents.messages.createAsync(agent.id, { input: "later" })
        const refused = failureOf((yield* collect(client.runs.stream(async.id))).exit) as LettaError.RunNotStreamableError
        expect([refused._tag, refused.runId, refused.reason]).toEqual(["RunNotStreamableError", async.id, "async_run"])
        expect(refused.message).toContain("runs.await")
        const reply = yield* client.agents.messages.create(agent.id, { input: "now" })
        const foregroundRunId = reply.messages.flatMap((m) => ("run_id" in m && m.run_id ? [m.run_id] : []))[0]
        const foreground = failureOf((yield* collect(client.runs.stream(foregroundRunId))).exit)
        expect([foreground._tag, (foreground as LettaError.RunNotStreamableError).reason]).toEqual([
          "RunNotStreamableError",
          "not_background"
        ])
        expect((yield* server.requests).filter((r) => r.path.includes(async.id)).map((r) => r.method + " " + r.path))
          .toEqual([`GET /v1/runs/${async.id}`])
        expect(yield* streamRequests).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("410 for an expired stream and 503 without stream storage are typed, final, and not retried", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        yield* cannedRun({ status: 410, body: `{"detail": "EXPIRED: Run was created more than 3 hours ago, and is now expired."}` })
        const gone = failureOf((yield* collect(client.runs.stream(runId))).exit)
        expect([gone._tag, (gone as LettaError.GoneError).status]).toEqual(["GoneError", 410])
        yield* cannedRun({
          status: 503,
          body: JSON.stringify({
            detail: "Background streaming requires Redis to be running. Please ensure Redis is properly configured. " +
              "LETTA_REDIS_HOST: None, LETTA_REDIS_PORT: 6379"
          })
        })
        const unavailable = failureOf((yield* collect(client.runs.stream(runId))).exit) as LettaError.ServerError
        expect([unavailable._tag, unavailable.status, unavailable.reason]).toEqual(["ServerError", 503, "no_stream_storage"])
        expect(yield* streamRequests).toHaveLength(2)
      }).pipe(Effect.provide(layer)))

    it.effect("a background send to a server without stream storage fails with that reason, and nothing is resumed", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        yield* server.clearRequests
        // What a real server without Redis answers (the embedded one always has stream storage).
        yield* server.injectFault(LettaTestServer.respond({ path: `/v1/agents/${agent.id}/messages`, status: 503, body: noRedis }))
        const error = failureOf((yield* collect(client.agents.messages.stream(agent.id, { input: "x", background: true }))).exit)
        expect([error._tag, (error as LettaError.ServerError).reason]).toEqual(["ServerError", "no_stream_storage"])
        // Any other 5xx has no such reason.
        yield* server.injectFault(LettaTestServer.respond({ path: `/v1/agents/${agent.id}/messages`, status: 503, body: "busy" }))
        const other = failureOf((yield* collect(client.agents.messages.stream(agent.id, { input: "x" }))).exit)
        expect([other._tag, (other as LettaError.ServerError).reason]).toEqual(["ServerError", "other"])
        expect((yield* server.requests).map((r) => r.path)).toEqual([
          `/v1/agents/${agent.id}/messages`,
          `/v1/agents/${agent.id}/messages`
        ])
      }).pipe(Effect.provide(layer)))
  })

  describe(`attaching to a busy conversation over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)
    const busy = JSON.stringify({
      detail: `CONFLICT: Cannot send a new message: Another request (run_id=${runId}) is currently being processed ` +
        "for this conversation. Please wait for it to complete.",
      run_id: runId
    })

    it.effect("onBusy: attach streams the busy run from its start; by default the conflict fails the send", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const conflict = LettaTestServer.respond({ path: "/v1/conversations/conv-1/messages", status: 409, body: busy })
        yield* server.injectFault(conflict)
        const failed = failureOf((yield* collect(client.conversations.messages.stream("conv-1", { input: "x" }))).exit)
        expect([failed._tag, (failed as LettaError.ConflictError).runId]).toEqual(["ConflictError", runId])
        yield* server.injectFault(conflict)
        yield* cannedRun({ body: ping(1) + assistant("theirs", 2) + stop("end_turn") + usage + done })
        const attached = yield* collect(
          client.conversations.messages.stream("conv-1", { input: "x" }, { onBusy: "attach" })
        )
        expect(Exit.isSuccess(attached.exit)).toBe(true)
        expect(attached.types).toEqual(["assistant_message", "stop_reason", "usage_statistics"])
        expect(yield* streamRequests).toEqual([
          `POST /v1/runs/${runId}/stream {"include_pings":true,"starting_after":0}`
        ])
      }).pipe(Effect.provide(layer)))

    it.effect("a busy run streamed in the foreground cannot be attached to: the conflict stands", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const conversation = yield* client.conversations.create(agent.id)
        // Held open by the slow model (the server's clock does not move here).
        const first = yield* Effect.fork(
          Stream.runDrain(client.conversations.messages.stream(conversation.id, { input: "hi /slow 1000" }))
        )
        while ((yield* server.streams).length === 0) yield* realTick
        const second = failureOf(
          (yield* collect(client.conversations.messages.stream(conversation.id, { input: "x" }, { onBusy: "attach" }))).exit
        ) as LettaError.ConflictError
        expect([second._tag, second.reason]).toEqual(["ConflictError", "conversation_busy"])
        expect((yield* server.requests).some((r) => r.path === `/v1/runs/${second.runId}`)).toBe(true)
        expect(yield* streamRequests).toEqual([])
        yield* Fiber.interrupt(first)
      }).pipe(Effect.provide(layer)))
  })

  describe(`cancelOnInterrupt for streams over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)

    /** A slow foreground turn: the initial ping arrives, then nothing until the clock moves. */
    const slowTurn = "hi /slow 1000"

    it.effect("a consumer that stops early cancels the run; without the option the run goes on", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const taken = yield* Stream.runCollect(
          Stream.take(client.agents.messages.stream(agent.id, { input: slowTurn }, { includePings: true, cancelOnInterrupt: true }), 1)
        )
        const [first] = taken
        const cancelled = first.message_type === "ping" ? first.run_id! : "no ping"
        const cancels = (yield* server.requests).filter((r) => r.path.endsWith("/messages/cancel"))
        expect(cancels.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
          [`/v1/agents/${agent.id}/messages/cancel`, { run_ids: [cancelled] }]
        ])
        expect((yield* client.runs.retrieve(cancelled)).status).toBe("cancelled")
        // Interrupting a consumer that asked for nothing leaves the run running.
        const fiber = yield* Effect.fork(Stream.runDrain(client.agents.messages.stream(agent.id, { input: slowTurn })))
        while ((yield* server.streams).length < 2) yield* realTick
        yield* Fiber.interrupt(fiber)
        const running = (yield* server.streams)[1].runId!
        expect((yield* client.runs.retrieve(running)).status).not.toBe("cancelled")
        expect((yield* server.requests).filter((r) => r.path.endsWith("/messages/cancel"))).toHaveLength(1)
      }).pipe(Effect.provide(layer)))

    it.effect("a stream that ends by itself cancels nothing", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const result = yield* collect(client.agents.messages.stream(agent.id, { input: "hi" }, { cancelOnInterrupt: true }))
        expect(Exit.isSuccess(result.exit)).toBe(true)
        const failed = yield* collect(client.agents.messages.stream(agent.id, { input: "/fail" }, { cancelOnInterrupt: true }))
        expect(failureOf(failed.exit)._tag).toBe("StreamError")
        expect((yield* server.requests).some((r) => r.path.includes("cancel"))).toBe(false)
      }).pipe(Effect.provide(layer)))

    it.effect("a conversation stream cancels through the conversation; a failed cancel is only logged", () =>
      Effect.gen(function*() {
        const warnings: Array<string> = []
        const logger = Logger.make(({ cause, logLevel, message }) => {
          if (logLevel._tag === "Warning") warnings.push(`${String(message)} ${Cause.pretty(cause)}`)
        })
        const { client, server } = yield* services
        const agent = yield* newAgent
        const conversation = yield* client.conversations.create(agent.id)
        const open = (input: string, conversationId = conversation.id) =>
          Effect.gen(function*() {
            const runIds: Array<string> = []
            const fiber = yield* Effect.fork(
              Stream.runForEach(
                client.conversations.messages.stream(conversationId, { input }, { includePings: true, cancelOnInterrupt: true }),
                (m) => Effect.sync(() => m.message_type === "ping" && runIds.push(m.run_id!))
              )
            )
            // Only a stream that has learnt its run id (from the first ping) has a run to cancel.
            while (runIds.length === 0) yield* realTick
            yield* Fiber.interrupt(fiber)
            return runIds[0]
          })
        const first = yield* open(slowTurn)
        expect((yield* server.requests).filter((r) => r.path.endsWith("/cancel")).map((r) => r.path)).toEqual([
          `/v1/conversations/${conversation.id}/cancel`
        ])
        expect((yield* client.runs.retrieve(first)).status).toBe("cancelled")
        yield* server.injectFault(LettaTestServer.respond({
          path: `/v1/conversations/${conversation.id}/cancel`,
          status: 500,
          body: `{"detail": "An unknown error occurred"}`
        }))
        const second = yield* open(slowTurn).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(`could not cancel run ${second}`)
        // A run that ended before the cancel arrived has nothing to cancel: not a warning. (On
        // another conversation: the first is still busy with the run whose cancel failed.)
        const other = yield* client.conversations.create(agent.id)
        yield* server.injectFault(LettaTestServer.respond({
          path: `/v1/conversations/${other.id}/cancel`,
          status: 409,
          body: JSON.stringify({ detail: `CONFLICT: No active runs to cancel for conversation ${other.id}` })
        }))
        yield* server.clearRequests
        yield* open(slowTurn, other.id).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        expect((yield* server.requests).filter((r) => r.path.endsWith("/cancel"))).toHaveLength(1)
        expect(warnings).toHaveLength(1)
      }).pipe(Effect.provide(layer)))
  })
}
