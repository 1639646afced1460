import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import * as RedisStreams from "../../src/testing/internal/redisStreams.js"
import type { SseConnection } from "./helpers.js"
import { call, createAgent, eventually, openSse, turn, unknownRunId } from "./helpers.js"

const done = "data: [DONE]\n\n"

const payload = (event: string): any => JSON.parse(event.slice("data: ".length))

/** `message_type`, `[DONE]` or the `event:` line of each event. */
const kinds = (events: ReadonlyArray<string>) =>
  events.map((e) => e === done ? "[DONE]" : e.startsWith("event: ") ? e.slice(0, e.indexOf("\n")) : payload(e).message_type)

const seqIds = (events: ReadonlyArray<string>) =>
  events.map((e) => (e.startsWith("data: {") ? payload(e).seq_id ?? null : null))

const send = (server: LettaTestServer.Service, agentId: string, body: Record<string, unknown>) =>
  openSse(server, `/v1/agents/${agentId}/messages`, { streaming: true, background: true, ...body })

const resume = (server: LettaTestServer.Service, runId: string, body: unknown = {}) =>
  openSse(server, `/v1/runs/${runId}/stream`, body)

const sendToConversation = (server: LettaTestServer.Service, conversationId: string, body: Record<string, unknown>) =>
  openSse(server, `/v1/conversations/${conversationId}/messages`, { background: true, ...body })

const resumeConversation = (server: LettaTestServer.Service, conversationId: string, body: unknown = {}) =>
  openSse(server, `/v1/conversations/${conversationId}/stream`, body)

const conversationOf = (server: LettaTestServer.Service, agentId: string) =>
  call(server, "POST", `/v1/conversations/?agent_id=${agentId}`, { body: {} }).pipe(
    Effect.filterOrDieMessage((r) => r.status === 200, "creating the conversation failed"),
    Effect.map((r) => r.json.id as string)
  )

const getRun = (server: LettaTestServer.Service, runId: string) =>
  call(server, "GET", `/v1/runs/${runId}`).pipe(Effect.map((r) => r.json))

const runsOf = (server: LettaTestServer.Service, agentId: string) =>
  call(server, "GET", `/v1/runs/?agent_id=${agentId}`).pipe(Effect.map((r) => r.json as Array<any>))

const userMessages = (server: LettaTestServer.Service, conversationId: string) =>
  call(server, "GET", `/v1/conversations/${conversationId}/messages?order=asc`).pipe(
    Effect.map((r) => (r.json as Array<any>).filter((m) => m.message_type === "user_message"))
  )

/** Waits (between event-loop turns) until the run has the status. */
const statusIs = (server: LettaTestServer.Service, runId: string, status: string) =>
  eventually(Effect.map(getRun(server, runId), (run) => (run.status === status ? run : undefined)))

/** Reads the next event, which must carry a run id (the initial ping does). */
const firstRunId = (connection: SseConnection) =>
  Effect.map(connection.next, (read) => (read._tag === "Event" ? payload(read.text).run_id as string : ""))

/** A whole background stream, read back from its first entry. */
const fullStream = (server: LettaTestServer.Service, runId: string) =>
  Effect.flatMap(resume(server, runId, { starting_after: 0 }), (r) => r.drain)

describe("background sends", () => {
  it.scoped("number every stored chunk from 1, stop_reason, usage and [DONE] included, and show it where JSON has seq_id", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi" })
      expect(stream.status).toBe(200)
      expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(kinds(events)).toEqual([
        "ping",
        "reasoning_message",
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        "[DONE]"
      ])
      // The initial ping went through the stream as entry 1; stop_reason, usage and [DONE] (4–6) carry none.
      expect(seqIds(events)).toEqual([1, 2, 3, null, null, null])
      const ping = payload(events[0]!)
      const runId = ping.run_id
      expect(events[0]).toBe(
        `data: {"id":"${ping.id}","date":"1970-01-01T00:00:00+00:00","name":null,"message_type":"ping","otid":null,"sender_id":null,"step_id":null,"is_err":null,"seq_id":1,"run_id":"${runId}"}\n\n`
      )
      expect(events[3]).toBe("data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n")
      expect(events[4]).not.toContain("seq_id")

      yield* statusIs(server, runId, "completed")
      // Resuming after k gives exactly the entries numbered above k, byte for byte.
      for (let k = 0; k <= 5; k++) {
        const resumed = yield* (yield* resume(server, runId, { starting_after: k })).drain
        expect(resumed).toEqual({ end: "Eof", events: events.slice(k) })
      }

      const run = yield* getRun(server, runId)
      expect(run).toMatchObject({ status: "completed", stop_reason: "end_turn", background: true })
      expect(run.metadata).toEqual({ run_type: "send_message" })
    }))

  it.scoped("a reader attached mid-run gets every entry exactly once, in order", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const first = yield* send(server, agentId, { input: "hi /slow 1000", stream_tokens: true })
      const ping = yield* first.next
      const runId = ping._tag === "Event" ? payload(ping.text).run_id : ""
      yield* TestClock.adjust("3 seconds")
      const late = yield* resume(server, runId)
      yield* TestClock.adjust("2 seconds")
      const later = yield* resume(server, runId, { starting_after: 2 })
      yield* TestClock.adjust("1 minute")
      const all = yield* first.drain
      const fromLate = yield* late.drain
      const fromLater = yield* later.drain
      const whole = [ping._tag === "Event" ? ping.text : "", ...all.events]
      expect(kinds(whole).slice(-3)).toEqual(["stop_reason", "usage_statistics", "[DONE]"])
      expect(whole.length).toBeGreaterThan(10)
      expect(fromLate).toEqual({ end: "Eof", events: whole })
      expect(fromLater).toEqual({ end: "Eof", events: whole.slice(2) })
      const numbered = seqIds(whole).filter((n) => n !== null)
      expect(numbered).toEqual(numbered.map((_, i) => i + 1))
    }))

  it.scoped("entries reach readers in the writer's flushes: at once, at 50, or after 0.5 s", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      // Chunks at 0 (ping), 0.3, 0.6, 0.9, 1.2 and 1.5 s.
      const stream = yield* send(server, agentId, { input: "hi /slow 300" })
      const runId = yield* firstRunId(stream)
      const frames = Effect.map(server.streams, (s) => s.find((r) => r.runId === runId)!.frames.length)
      yield* TestClock.adjust("599 millis")
      for (let i = 0; i < 20; i++) yield* turn
      expect(yield* frames).toBe(1)
      // At 0.6 s more than 0.5 s passed since the first flush: reasoning and assistant go out together.
      yield* TestClock.adjust("1 millis")
      yield* eventually(Effect.map(frames, (n) => (n === 3 ? true : undefined)))
      yield* TestClock.adjust("599 millis")
      for (let i = 0; i < 20; i++) yield* turn
      expect(yield* frames).toBe(3)
      yield* TestClock.adjust("1 millis")
      yield* eventually(Effect.map(frames, (n) => (n === 5 ? true : undefined)))
      // [DONE] is complete: flushed at once.
      yield* TestClock.adjust("300 millis")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(kinds(events)).toEqual(["reasoning_message", "assistant_message", "stop_reason", "usage_statistics", "[DONE]"])

      // 50 buffered chunks are flushed without waiting for the clock.
      const tokens = yield* send(server, agentId, {
        input: `${Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ")} /slow 1`,
        stream_tokens: true
      })
      const tokenRun = yield* firstRunId(tokens)
      yield* TestClock.adjust("60 millis")
      const burst = yield* resume(server, tokenRun)
      const readerFrames = Effect.map(server.streams, (s) => s.filter((r) => r.runId === tokenRun)[1]!.frames.length)
      yield* eventually(Effect.map(readerFrames, (n) => (n === 51 ? true : undefined)))
      for (let i = 0; i < 20; i++) yield* turn
      expect(yield* readerFrames).toBe(51)
      yield* TestClock.adjust("1 minute")
      const read = yield* burst.drain
      expect(read.events[read.events.length - 1]).toBe(done)
    }))

  it.scoped("/cut drops the connection while the run goes on; resuming after the last seq_id yields the rest once", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 1000 /cut 2" })
      yield* TestClock.adjust("1 second")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Reset")
      expect(kinds(events)).toEqual(["ping", "reasoning_message"])
      const runId = payload(events[0]!).run_id
      expect((yield* getRun(server, runId)).status).toBe("running")

      yield* TestClock.adjust("10 seconds")
      yield* statusIs(server, runId, "completed")
      const lastSeq = payload(events[1]!).seq_id
      const rest = yield* (yield* resume(server, runId, { starting_after: lastSeq })).drain
      expect(rest.end).toBe("Eof")
      expect(kinds(rest.events)).toEqual(["assistant_message", "stop_reason", "usage_statistics", "[DONE]"])
      expect((yield* fullStream(server, runId)).events).toEqual([...events, ...rest.events])
    }))

  it.scoped("a client that goes away does not stop the run", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 1000" })
      const runId = yield* firstRunId(stream)
      const connectionId = (yield* server.streams)[0]!.connectionId
      yield* stream.destroy
      yield* eventually(Effect.map(server.connectionLog, (log) => log.find((c) => c.id === connectionId)!.closedAt))
      yield* TestClock.adjust("10 seconds")
      const run = yield* statusIs(server, runId, "completed")
      expect(run.stop_reason).toBe("end_turn")
      expect(kinds((yield* fullStream(server, runId)).events)).toEqual([
        "ping",
        "reasoning_message",
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        "[DONE]"
      ])
    }))

  it.scoped("the deprecated /messages/stream and include_pings: false", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* openSse(server, `/v1/agents/${agentId}/messages/stream`, {
        input: "hi",
        background: true,
        include_pings: false
      })
      const { events } = yield* stream.drain
      expect(kinds(events)).toEqual(["reasoning_message", "assistant_message", "stop_reason", "usage_statistics", "[DONE]"])
      expect(seqIds(events)).toEqual([1, 2, null, null, null])
      const run = yield* getRun(server, payload(events[0]!).run_id)
      expect(run).toMatchObject({ background: true, metadata: { run_type: "send_message_streaming" } })
    }))

  it.scoped("a cancel is noticed by the writer: its stop reason, then [DONE]", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const stream = yield* sendToConversation(server, conversationId, { input: "hi /slow 1000" })
      const runId = yield* firstRunId(stream)
      const cancel = yield* call(server, "POST", `/v1/conversations/${conversationId}/cancel`)
      expect(cancel.json).toEqual({ [runId]: "cancelled" })
      yield* TestClock.adjust("1 second")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(events).toEqual(["data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n", done])
      expect(yield* getRun(server, runId)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
      const next = yield* sendToConversation(server, conversationId, { input: "again" })
      expect(next.status).toBe(200)
    }))

  it.scoped("a mid-stream error ends the stored stream at the error event, and the run fails", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { end, events } = yield* (yield* send(server, agentId, { input: "hi /end error-after-output" })).drain
      expect(end).toBe("Eof")
      expect(kinds(events)).toEqual(["ping", "reasoning_message", "assistant_message", "stop_reason", "event: error"])
      const error = JSON.parse(events[4]!.slice("event: error\ndata: ".length))
      const runId = error.run_id
      expect(error).toMatchObject({ error_type: "internal_error", seq_id: 5 })
      // The processor records what it stored: failed, unlike the foreground run (completed).
      expect(yield* statusIs(server, runId, "failed")).toMatchObject({ stop_reason: "llm_api_error" })
      expect((yield* fullStream(server, runId)).events).toEqual(events)
    }))
})

describe("POST /v1/runs/{run_id}/stream", () => {
  it.scoped("checks the run in the real order: 400/404 for the id, 400 foreground, 410 when old, 500 without a body", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const missing = yield* call(server, "POST", `/v1/runs/${unknownRunId}/stream`, { body: {} })
      expect(missing.status).toBe(404)
      expect(missing.json.detail).toMatch(/^Run not found with id='\['run-00000000-0000-4000-8000-000000000000'\]'/)
      const malformed = yield* call(server, "POST", "/v1/runs/nope/stream", { body: {} })
      expect(malformed.json).toEqual({
        detail: "INVALID_ARGUMENT: Invalid run ID format: nope. Expected format: 'run-<uuid4>'"
      })

      const foreground = yield* (yield* openSse(server, `/v1/agents/${agentId}/messages`, { input: "hi", streaming: true }))
        .drain
      const foregroundRun = payload(foreground.events[0]!).run_id
      for (const body of [{ rawBody: "" }, { body: {} }]) {
        const refused = yield* call(server, "POST", `/v1/runs/${foregroundRun}/stream`, body)
        expect(refused.status).toBe(400)
        expect(refused.json).toEqual({
          detail: "INVALID_ARGUMENT: Run was not created in background mode, so it cannot be retrieved."
        })
      }

      const background = yield* (yield* send(server, agentId, { input: "hi" })).drain
      const runId = payload(background.events[0]!).run_id
      const noBody = yield* call(server, "POST", `/v1/runs/${runId}/stream`)
      expect(noBody.status).toBe(500)
      expect(noBody.json).toEqual({ detail: "An unknown error occurred" })
      const invalid = yield* call(server, "POST", `/v1/runs/${runId}/stream`, { body: { starting_after: null } })
      expect(invalid.status).toBe(422)

      yield* TestClock.adjust("3 hours")
      const lastMoment = yield* call(server, "POST", `/v1/runs/${runId}/stream`, { body: {} })
      expect(lastMoment.status).toBe(200)
      yield* TestClock.adjust("1 millis")
      const expired = yield* call(server, "POST", `/v1/runs/${runId}/stream`, { rawBody: "" })
      expect(expired.status).toBe(410)
      expect(expired.json).toEqual({ detail: "EXPIRED: Run was created more than 3 hours ago, and is now expired." })
    }))

  it.scoped("an async run has no stream: the reader pings every keepalive interval, then ends after maxStreamSilence", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ maxStreamSilence: "1 minute" })
      const agentId = yield* createAgent(server)
      const run = (yield* call(server, "POST", `/v1/agents/${agentId}/messages/async`, { body: { input: "hi" } })).json
      expect(run.background).toBe(true)
      const opening = yield* Effect.fork(resume(server, run.id))
      yield* eventually(Effect.map(server.streams, (s) => (s.length === 1 ? true : undefined)))
      yield* TestClock.adjust("19999 millis")
      expect(opening.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const stream = yield* Fiber.join(opening)
      expect(stream.status).toBe(200)
      yield* TestClock.adjust("2 minutes")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      // Pings at 20, 40 and 60 s; at 80 s only pings have flowed for more than a minute.
      expect(events.map(payload)).toEqual(["00:00:20", "00:00:40", "00:01:00"].map((time) =>
        expect.objectContaining({
          message_type: "ping",
          date: `1970-01-01T${time}+00:00`,
          seq_id: null,
          run_id: run.id
        })
      ))
    }))

  it.scoped("the reader's keepalive pings carry the last seq_id it passed on", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 30000" })
      const runId = yield* firstRunId(stream)
      const reader = yield* resume(server, runId)
      yield* reader.next
      yield* TestClock.adjust("20 seconds")
      for (const connection of [stream, reader]) {
        const ping = yield* connection.next
        expect(ping._tag === "Event" && payload(ping.text)).toMatchObject({ message_type: "ping", seq_id: 1 })
      }
      yield* TestClock.adjust("30 seconds")
      for (const connection of [stream, reader]) {
        const next = yield* connection.next
        expect(next._tag === "Event" && payload(next.text)).toMatchObject({ message_type: "reasoning_message", seq_id: 2 })
      }
      yield* TestClock.adjust("20 seconds")
      const ping = yield* reader.next
      expect(ping._tag === "Event" && payload(ping.text)).toMatchObject({ message_type: "ping", seq_id: 2 })
    }))

  it.scoped("trims each stream to maxStreamLength entries: the oldest seq_ids are gone", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ maxStreamLength: 5 })
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi" })
      const runId = yield* firstRunId(stream)
      yield* stream.drain
      yield* statusIs(server, runId, "completed")
      for (let i = 0; i < 20; i++) yield* turn
      // Seven entries were written (the processor's closing [DONE] included); entries 1 and 2 are gone.
      for (const startingAfter of [0, 1, 2]) {
        const { end, events } = yield* (yield* resume(server, runId, { starting_after: startingAfter })).drain
        expect(end).toBe("Eof")
        expect(kinds(events)).toEqual(["assistant_message", "stop_reason", "usage_statistics", "[DONE]"])
        expect(payload(events[0]!).seq_id).toBe(3)
      }
    }))

  it.scoped("batch_size < 1 fails XRANGE before the first chunk: a bare 500", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { events } = yield* (yield* send(server, agentId, { input: "hi" })).drain
      const refused = yield* call(server, "POST", `/v1/runs/${payload(events[0]!).run_id}/stream`, {
        body: { batch_size: 0 }
      })
      expect(refused.status).toBe(500)
      expect(refused.text).toBe("")
    }))
})

describe("POST /v1/conversations/{conversation_id}/stream", () => {
  it.scoped("finds the run by run_id, by otid, or as the latest active background run", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const otid = "6f1c2b0e-1d2a-4c3b-8a4d-5e6f7a8b9c0d"
      const { events } = yield* (yield* sendToConversation(server, conversationId, {
        messages: [{ type: "message", role: "user", content: "hi", otid }]
      })).drain
      const runId = payload(events[0]!).run_id
      expect((yield* statusIs(server, runId, "completed")).conversation_id).toBe(conversationId)

      const byRun = yield* (yield* resumeConversation(server, conversationId, { run_id: runId })).drain
      expect(byRun).toEqual({ end: "Eof", events })
      const byOtid = yield* (yield* resumeConversation(server, "default", { otid, starting_after: 3 })).drain
      expect(byOtid.events).toEqual(events.slice(3))

      // Nothing active: the latest-run lookup has nothing to attach to.
      const idle = yield* call(server, "POST", `/v1/conversations/${conversationId}/stream`, { body: {} })
      expect(idle.status).toBe(400)
      expect(idle.json).toEqual({ detail: "INVALID_ARGUMENT: No active runs found for this conversation." })

      const live = yield* sendToConversation(server, conversationId, { input: "again /slow 1000" })
      const liveRun = yield* firstRunId(live)
      const latest = yield* resumeConversation(server, conversationId)
      yield* TestClock.adjust("1 minute")
      const read = yield* latest.drain
      expect(payload(read.events[0]!)).toMatchObject({ message_type: "ping", run_id: liveRun, seq_id: 1 })
      expect(kinds(read.events).slice(-1)).toEqual(["[DONE]"])
    }))

  it.scoped("agent-direct mode looks for the agent's latest run, which must be background", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const foreground = yield* openSse(server, `/v1/agents/${agentId}/messages`, {
        input: "hi /slow 1000",
        streaming: true
      })
      yield* foreground.next
      const refused = yield* call(server, "POST", "/v1/conversations/default/stream", { body: { agent_id: agentId } })
      expect(refused.json).toEqual({
        detail: "INVALID_ARGUMENT: Run was not created in background mode, so it cannot be retrieved."
      })
      yield* TestClock.adjust("1 minute")
      yield* foreground.drain

      const background = yield* sendToConversation(server, "default", { agent_id: agentId, input: "hi /slow 1000" })
      const runId = yield* firstRunId(background)
      for (const path of ["default", agentId]) {
        const reader = yield* resumeConversation(server, path, { agent_id: agentId })
        const first = yield* reader.next
        expect(first._tag === "Event" && payload(first.text)).toMatchObject({ run_id: runId, seq_id: 1 })
      }
      yield* TestClock.adjust("1 minute")
    }))

  it.scoped("the run_id and otid paths skip the background check; an unknown otid is a 404 after 1.75 s", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const otid = "0b7e9a52-3c1d-4e8f-9a6b-2d4c6e8f0a1b"
      const foreground = yield* (yield* openSse(server, `/v1/agents/${agentId}/messages`, {
        messages: [{ type: "message", role: "user", content: "hi", otid }],
        streaming: true
      })).drain
      const runId = payload(foreground.events[0]!).run_id
      // A foreground run has no stream: the reader only pings.
      for (const body of [{ run_id: runId }, { otid }]) {
        const opening = yield* Effect.fork(resumeConversation(server, "default", body))
        yield* TestClock.adjust("20 seconds")
        const reader = yield* Fiber.join(opening)
        const ping = yield* reader.next
        expect(ping._tag === "Event" && payload(ping.text)).toMatchObject({ message_type: "ping", run_id: runId })
        yield* reader.destroy
      }

      const lookup = yield* Effect.fork(
        call(server, "POST", "/v1/conversations/default/stream", { body: { otid: "nobody" } })
      )
      yield* eventually(Effect.map(server.requests, (r) => (r.length === 5 ? true : undefined)))
      yield* TestClock.adjust("1749 millis")
      for (let i = 0; i < 20; i++) yield* turn
      expect(lookup.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const missing = yield* Fiber.join(lookup)
      expect(missing.status).toBe(404)
      expect(missing.json).toEqual({
        detail: "No run found for otid=nobody. The run may have expired or never existed."
      })
    }))

  it.scoped("without a body: no pings, and the reader fails at its first wait (poll_interval None)", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const live = yield* sendToConversation(server, conversationId, { input: "hi /slow 1000" })
      yield* live.next
      const reply = yield* call(server, "POST", `/v1/conversations/${conversationId}/stream`)
      expect(reply.status).toBe(200)
      expect(kinds(reply.text.split(/(?<=\n\n)/))).toEqual(["ping", "event: error"])
      expect(reply.text.endsWith(
        "event: error\ndata: {\"error\": \"'<=' not supported between instances of 'NoneType' and 'int'\", \"code\": \"INTERNAL_SERVER_ERROR\"}\n\n"
      )).toBe(true)
      yield* TestClock.adjust("1 minute")
      yield* live.drain

      // A stream with nothing to read yet: the reader fails before its first chunk.
      const quiet = yield* conversationOf(server, agentId)
      yield* Effect.fork(sendToConversation(server, quiet, { input: "x /end pings-only", include_pings: false }))
      yield* eventually(Effect.map(runsOf(server, agentId), (runs) => (runs.length === 2 ? true : undefined)))
      const empty = yield* call(server, "POST", `/v1/conversations/${quiet}/stream`, { rawBody: "" })
      expect(empty.status).toBe(500)
      expect(empty.text).toBe("")
    }))
})

describe("otid idempotency", () => {
  it.scoped("a retried background conversation send replays the existing run: no second run, no second turn", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const body = { messages: [{ type: "message", role: "user", content: "hi /slow 1000", otid: "a1" }] }
      const first = yield* sendToConversation(server, conversationId, body)
      const ping = yield* first.next
      const runId = payload((ping as { text: string }).text).run_id
      // While the first is running (its lock held), the retry reads along instead of answering 409.
      const retry = yield* sendToConversation(server, conversationId, body)
      yield* TestClock.adjust("1 minute")
      const original = [(ping as { text: string }).text, ...(yield* first.drain).events]
      expect(yield* retry.drain).toEqual({ end: "Eof", events: original })
      const after = yield* (yield* sendToConversation(server, conversationId, body)).drain
      expect(after.events).toEqual(original)
      expect(yield* runsOf(server, agentId)).toHaveLength(1)
      expect(yield* userMessages(server, conversationId)).toHaveLength(1)

      // Foreground sends and the agents endpoint never deduplicate (the request token only counts otids).
      yield* statusIs(server, runId, "completed")
      const same = { messages: [{ type: "message", role: "user", content: "hi", otid: "a1" }] }
      yield* (yield* sendToConversation(server, conversationId, { ...same, background: false })).drain
      yield* (yield* send(server, agentId, same)).drain
      yield* (yield* send(server, agentId, same)).drain
      expect(yield* runsOf(server, agentId)).toHaveLength(4)
    }))

  it.scoped("agent-direct conversation sends deduplicate too (they lock on the agent)", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const body = { agent_id: agentId, messages: [{ type: "message", role: "user", content: "hi", otid: "b2" }] }
      const first = yield* (yield* sendToConversation(server, "default", body)).drain
      const second = yield* (yield* sendToConversation(server, "default", body)).drain
      expect(second.events).toEqual(first.events)
      expect(yield* runsOf(server, agentId)).toHaveLength(1)
    }))

  it.scoped("mappings expire after 3 h: the otid no longer resolves and a retry is a new turn", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const body = { messages: [{ type: "message", role: "user", content: "hi", otid: "c3" }] }
      yield* (yield* sendToConversation(server, conversationId, body)).drain
      yield* TestClock.adjust("3 hours")
      yield* TestClock.adjust("1 millis")
      const lookup = yield* Effect.fork(
        call(server, "POST", `/v1/conversations/${conversationId}/stream`, { body: { otid: "c3" } })
      )
      yield* eventually(Effect.map(server.requests, (r) => (r.length === 4 ? true : undefined)))
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(lookup)).status).toBe(404)
      const retried = yield* (yield* sendToConversation(server, conversationId, body)).drain
      expect(kinds(retried.events).slice(-1)).toEqual(["[DONE]"])
      expect(yield* runsOf(server, agentId)).toHaveLength(2)
      expect(yield* userMessages(server, conversationId)).toHaveLength(2)
    }))
})

// Over HTTP the 410 (by `created_at`) always comes before a stream can expire, so the key's own
// lifetime is checked on the emulated Redis directly.
describe("RedisStreams", () => {
  const chunk = (seqId: number) => ({ seqId, data: `data: ${seqId}\n\n`, complete: false })
  const hour = 3_600_000

  it("expires a stream 3 h after its last flush, each flush refreshing it", () => {
    const streams = new RedisStreams.RedisStreams()
    streams.append("run-a", [chunk(1)], 0, 10)
    streams.append("run-a", [chunk(2)], hour, 10)
    expect(streams.range("run-a", undefined, null, 4 * hour).map((e) => e.seqId)).toEqual([1, 2])
    expect(streams.range("run-a", undefined, null, 4 * hour + 1)).toEqual([])
    // Gone for good: a later write starts a new stream.
    streams.append("run-a", [chunk(3)], 4 * hour + 2, 10)
    expect(streams.range("run-a", undefined, null, 4 * hour + 2).map((e) => e.seqId)).toEqual([3])
  })

  it("trims to the newest entries and reads XRANGE-style from an inclusive id", () => {
    const streams = new RedisStreams.RedisStreams()
    streams.append("run-b", [1, 2, 3, 4, 5].map(chunk), 0, 3)
    const kept = streams.range("run-b", undefined, null, 0)
    expect(kept.map((e) => e.seqId)).toEqual([3, 4, 5])
    expect(streams.range("run-b", kept[1]!.id, 1, 0).map((e) => e.seqId)).toEqual([4])
    // A trimmed id still positions the read.
    expect(streams.range("run-b", kept[0]!.id - 1, null, 0).map((e) => e.seqId)).toEqual([3, 4, 5])
  })
})
