import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { performance } from "node:perf_hooks"
import type { SseConnection } from "./helpers.js"
import { call, createAgent, eventually, openSse, otidOf } from "./helpers.js"

const date = "1970-01-01T00:00:00+00:00"

const payload = (event: string): any => JSON.parse(event.slice("data: ".length))

const send = (server: LettaTestServer.Service, agentId: string, body: Record<string, unknown>) =>
  openSse(server, `/v1/agents/${agentId}/messages`, { streaming: true, ...body })

const getRun = (server: LettaTestServer.Service, runId: string) =>
  call(server, "GET", `/v1/runs/${runId}`).pipe(Effect.map((r) => r.json))

/** The events a server has written for a run so far (keepalive pings included). */
const written = (server: LettaTestServer.Service, runId: string) =>
  Effect.map(server.streams, (streams) => streams.find((s) => s.runId === runId)?.frames.length ?? 0)

// Exact step-mode frames, with the ids taken from the stream itself.
const pingFrame = (id: string, runId: string, at = date) =>
  `data: {"id":"${id}","date":"${at}","name":null,"message_type":"ping","otid":null,"sender_id":null,"step_id":null,"is_err":null,"seq_id":null,"run_id":"${runId}"}\n\n`

interface Ids {
  readonly id: string
  readonly stepId: string
  readonly runId: string
}

const reasoningFrame = (ids: Ids, text: string) =>
  `data: {"id":"${ids.id}","date":"${date}","name":null,"message_type":"reasoning_message","otid":"${
    otidOf(ids.id, 0)
  }","sender_id":null,"step_id":"${ids.stepId}","is_err":null,"seq_id":null,"run_id":"${ids.runId}","source":"reasoner_model","reasoning":${
    JSON.stringify(text)
  },"signature":null}\n\n`

const assistantFrame = (ids: Ids, text: string) =>
  `data: {"id":"${ids.id}","date":"${date}","name":null,"message_type":"assistant_message","otid":"${
    otidOf(ids.id, 1)
  }","sender_id":null,"step_id":"${ids.stepId}","is_err":null,"seq_id":null,"run_id":"${ids.runId}","content":${
    JSON.stringify(text)
  }}\n\n`

const stopFrame = (reason: string) => `data: {"message_type":"stop_reason","stop_reason":"${reason}"}\n\n`

const usageFrame = (u: any) =>
  `data: {"message_type":"usage_statistics","completion_tokens":${u.completion_tokens},"prompt_tokens":${u.prompt_tokens},"total_tokens":${u.total_tokens},"step_count":1,"run_ids":null,"cached_input_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,"context_tokens":${u.total_tokens}}\n\n`

const done = "data: [DONE]\n\n"

/** Ping, reasoning and assistant of a step-mode stream for input "hi", checked byte for byte. */
const expectStepOutput = (events: ReadonlyArray<string>): Ids => {
  const ping = payload(events[0]!)
  const reasoning = payload(events[1]!)
  const ids = { id: reasoning.id, stepId: reasoning.step_id, runId: ping.run_id }
  expect(events[0]).toBe(pingFrame(ping.id, ids.runId))
  expect(events[1]).toBe(reasoningFrame(ids, "The user said \"hi\". I'll answer."))
  expect(events[2]).toBe(assistantFrame(ids, "You said: hi"))
  return ids
}

describe("token streaming (stream_tokens: true)", () => {
  it.scoped("splits the reply into deltas that share the message id, with one otid per part", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const input = "Tell me about the weather in Paris"
      const step = yield* (yield* send(server, agentId, { input })).drain
      const tokens = yield* (yield* send(server, agentId, { input, stream_tokens: true })).drain
      expect(tokens.end).toBe("Eof")
      // Framing: every event is one `data:` line and a blank line.
      for (const event of tokens.events) expect(event).toMatch(/^data: [^\n]+\n\n$/)

      const [ping, ...rest] = tokens.events
      const runId = payload(ping!).run_id
      expect(rest.slice(-3)).toEqual([stopFrame("end_turn"), expect.stringMatching(/^data: \{"message_type":"usage_statistics"/), done])
      const deltas = rest.slice(0, -3).map(payload)
      const reasoning = deltas.filter((d) => d.message_type === "reasoning_message")
      const assistant = deltas.filter((d) => d.message_type === "assistant_message")
      expect(reasoning.length).toBeGreaterThan(3)
      expect(assistant.length).toBeGreaterThan(3)
      expect(deltas).toEqual([...reasoning, ...assistant])

      // One id for the whole response: the persisted assistant message's.
      const id = deltas[0].id
      expect(new Set(deltas.map((d) => d.id))).toEqual(new Set([id]))
      expect(new Set(deltas.map((d) => d.step_id)).size).toBe(1)
      expect(reasoning.every((d) => d.otid === otidOf(id, 0))).toBe(true)
      expect(assistant.every((d) => d.otid === otidOf(id, 1))).toBe(true)
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?limit=1`)
      expect(history.json.map((m: any) => m.id)).toEqual([id, id])

      // The deltas concatenate to the step-mode texts.
      const stepMessages = step.events.slice(1, 3).map(payload)
      expect(reasoning.map((d) => d.reasoning).join("")).toBe(stepMessages[0].reasoning)
      expect(assistant.map((d) => d.content).join("")).toBe(stepMessages[1].content)

      // Explicit nulls in pydantic's field order, second-precision dates.
      expect(rest[0]).toBe(
        `data: {"id":"${id}","date":"${date}","name":null,"message_type":"reasoning_message","otid":"${
          otidOf(id, 0)
        }","sender_id":null,"step_id":"${
          deltas[0].step_id
        }","is_err":null,"seq_id":null,"run_id":"${runId}","source":"reasoner_model","reasoning":"The","signature":null}\n\n`
      )
      expect(Object.keys(assistant[0])).toEqual([
        "id",
        "date",
        "name",
        "message_type",
        "otid",
        "sender_id",
        "step_id",
        "is_err",
        "seq_id",
        "run_id",
        "content"
      ])
      expect(assistant.map((d) => d.content)).toEqual([
        "You",
        " said:",
        " Tell",
        " me",
        " about",
        " the",
        " weather",
        " in",
        " Paris"
      ])
    }))

  it.scoped("falls back to step mode for models the server cannot token-stream, and filters message types", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const letta = yield* createAgent(server, { model: "letta/letta-free" })
      const fallback = yield* (yield* send(server, letta, { input: "hi", stream_tokens: true })).drain
      expect(fallback.events).toHaveLength(6)
      expectStepOutput(fallback.events)

      const openai = yield* createAgent(server)
      const filtered = yield* (yield* send(server, openai, {
        input: "hi",
        stream_tokens: true,
        include_return_message_types: ["assistant_message"]
      })).drain
      const types = filtered.events.slice(1, -3).map((e) => payload(e).message_type)
      expect(new Set(types)).toEqual(new Set(["assistant_message"]))
    }))
})

describe("/end variants", () => {
  const cases: ReadonlyArray<{
    readonly variant: string
    readonly tail: (ids: Ids, usage: string) => ReadonlyArray<string>
    readonly run: Record<string, unknown>
  }> = [
    {
      variant: "error-after-output",
      tail: (ids) => [
        stopFrame("llm_api_error"),
        `event: error\ndata: {"message_type":"error_message","run_id":"${ids.runId}","error_type":"internal_error","message":"An error occurred during agent execution.","detail":"INTERNAL_SERVER_ERROR: Scripted mid-stream failure from the test server's model (directive /end error-after-output)","seq_id":null}\n\n`
      ],
      // error_aware_stream saw the agent's own error event: the run still completes.
      run: { status: "completed", stop_reason: "llm_api_error" }
    },
    {
      variant: "error-plain",
      tail: () => [
        "event: error\ndata: {\"error\": \"INTERNAL_SERVER_ERROR: Scripted mid-stream failure from the test server's model (directive /end error-plain)\", \"code\": \"INTERNAL_SERVER_ERROR\"}\n\n"
      ],
      run: {
        status: "failed",
        stop_reason: "error",
        metadata: {
          run_type: "send_message",
          error: {
            error: {
              run_id: expect.any(String),
              error_type: "stream_incomplete",
              message: "Stream ended unexpectedly without a terminal event."
            }
          }
        }
      }
    },
    {
      variant: "cancelled",
      tail: () => ["data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"],
      run: { status: "cancelled", stop_reason: "cancelled" }
    },
    {
      variant: "cancelled-step",
      tail: (_, usage) => [stopFrame("cancelled"), usage, done],
      run: { status: "cancelled", stop_reason: "cancelled" }
    },
    {
      variant: "cancelled-event",
      tail: () => ["event: cancelled\ndata: {\"message\": \"Run was cancelled\"}\n\n"],
      run: { status: "cancelled", stop_reason: "cancelled" }
    },
    {
      variant: "no-done",
      tail: (_, usage) => [stopFrame("end_turn"), usage],
      run: { status: "completed", stop_reason: "end_turn" }
    }
  ]

  for (const { run, tail, variant } of cases) {
    it.scoped(`${variant}: byte-exact ending and the run the real server records`, () =>
      Effect.gen(function*() {
        const server = yield* LettaTestServer.make()
        const agentId = yield* createAgent(server)
        const { end, events } = yield* (yield* send(server, agentId, { input: `hi /end ${variant}` })).drain
        expect(end).toBe("Eof")
        const ids = expectStepOutput(events)
        const usage = events.find((e) => e.includes("\"usage_statistics\""))
        expect(events.slice(3)).toEqual(tail(ids, usage === undefined ? "" : usageFrame(payload(usage))))
        expect(yield* getRun(server, ids.runId)).toMatchObject(run)
        // The output was persisted before the stream ended.
        const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?limit=1`)
        expect(history.json[0].id).toBe(ids.id)
      }))
  }

  it.scoped("retry: a stop_reason error mid-stream, then a fresh response and the normal tail", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { events } = yield* (yield* send(server, agentId, { input: "hi /end retry" })).drain
      const ping = payload(events[0]!)
      const attempt = payload(events[1]!)
      const final = payload(events[3]!)
      expect(attempt.id).not.toBe(final.id)
      expect(events[1]).toBe(
        reasoningFrame({ id: attempt.id, stepId: attempt.step_id, runId: ping.run_id }, "The user said \"hi\". I'll answer.")
      )
      expect(events[2]).toBe(stopFrame("error"))
      const ids = { id: final.id, stepId: final.step_id, runId: ping.run_id }
      expect(events.slice(3)).toEqual([
        reasoningFrame(ids, "The user said \"hi\". I'll answer."),
        assistantFrame(ids, "You said: hi"),
        stopFrame("end_turn"),
        usageFrame(payload(events[6]!)),
        done
      ])
      expect(yield* getRun(server, ping.run_id)).toMatchObject({ status: "completed", stop_reason: "end_turn" })
      // Only the second response was persisted.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=asc`)
      expect(history.json.map((m: any) => m.id)).not.toContain(attempt.id)

      // In token mode the failed attempt streams deltas too.
      const tokens = yield* (yield* send(server, agentId, { input: "hi /end retry", stream_tokens: true })).drain
      const types = tokens.events.slice(1, -1).map((e) =>
        e.startsWith("data: {\"message_type\"") ? payload(e).stop_reason : payload(e).message_type
      )
      expect(types.filter((t) => t === "error" || t === "end_turn")).toEqual(["error", "end_turn"])
      expect(types.indexOf("error")).toBeGreaterThan(1)
    }))

  it.scoped("pings-only: keepalive pings until 1800 s of silence, then EOF without a terminal event", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /end pings-only" })
      const first = yield* stream.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""
      yield* TestClock.adjust("1800 seconds")
      // A ping after every 20 s of silence, the last one at 1800 s (silence not yet over the limit).
      yield* eventually(Effect.map(written(server, runId), (n) => (n === 91 ? n : undefined)))
      yield* TestClock.adjust("20 seconds")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(events).toHaveLength(90)
      expect(events.every((e) => payload(e).message_type === "ping" && payload(e).run_id === runId)).toBe(true)
      expect(payload(events[89]!).date).toBe("1970-01-01T00:30:00+00:00")
      expect(yield* getRun(server, runId)).toMatchObject({ status: "failed", stop_reason: "error" })
    }))
})

describe("stream directives", () => {
  it.scoped("combine with ordinary text and are taken out of what the model reads", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, {
        body: { input: "hello /slow 500 /end no-done /cut 3 there" }
      })
      expect(reply.json.messages[1].content).toBe("You said: hello there")
      const bad = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, {
        body: { input: "/slow soon /end sideways" }
      })
      expect(bad.json.messages[1].content).toBe("You said: /slow soon /end sideways")
      // The persisted user message keeps what was sent.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=asc`)
      expect(history.json[1].content).toBe("hello /slow 500 /end no-done /cut 3 there")
    }))

  it.scoped("scripted cancellations end once, even where the wrapper would look again", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      for (const variant of ["cancelled", "cancelled-event"]) {
        const opening = yield* Effect.fork(send(server, agentId, {
          input: `hi /slow 600 /end ${variant}`,
          include_pings: false
        }))
        yield* eventually(Effect.map(server.streams, (s) => (s.some((r) => !r.done) ? true : undefined)))
        yield* TestClock.adjust("1 minute")
        const { end, events } = yield* (yield* Fiber.join(opening)).drain
        expect(end).toBe("Eof")
        expect(events).toHaveLength(3)
        expect(events[2]).toBe(
          variant === "cancelled"
            ? "data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"
            : "event: cancelled\ndata: {\"message\": \"Run was cancelled\"}\n\n"
        )
      }
    }))

  it.scoped("endings work the same in token mode", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { end, events } = yield* (yield* send(server, agentId, {
        input: "hi /end error-after-output",
        stream_tokens: true
      })).drain
      expect(end).toBe("Eof")
      expect(events.length).toBeGreaterThan(6)
      expect(events[events.length - 2]).toBe(stopFrame("llm_api_error"))
      expect(events[events.length - 1]).toMatch(/^event: error\ndata: \{"message_type":"error_message"/)
    }))
})

describe("errors before any agent output", () => {
  it.scoped("are stop_reason, event: error and [DONE], also in token mode", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { end, events } = yield* (yield* send(server, agentId, {
        input: "/slow 10 /llm-error llm_timeout",
        stream_tokens: true
      }).pipe(Effect.tap(() => TestClock.adjust("1 second")))).drain
      expect(end).toBe("Eof")
      const runId = payload(events[0]!).run_id
      expect(events.slice(1)).toEqual([
        stopFrame("llm_api_error"),
        `event: error\ndata: {"message_type":"error_message","run_id":"${runId}","error_type":"llm_timeout","message":"The LLM request timed out. Please try again.","detail":"TIMEOUT: Scripted llm_timeout from the test server's model (directive /llm-error llm_timeout)","seq_id":null}\n\n`,
        done
      ])
      expect(yield* getRun(server, runId)).toMatchObject({ status: "failed", stop_reason: "llm_api_error" })
    }))
})

describe("/slow and keepalive pings", () => {
  it.scoped("/slow delays each event after the initial ping on the server's clock", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 500" })
      const ping = yield* stream.next
      const runId = ping._tag === "Event" ? payload(ping.text).run_id : ""
      yield* TestClock.adjust("499 millis")
      expect(yield* written(server, runId)).toBe(1)
      yield* TestClock.adjust("1 millis")
      const reasoning = yield* stream.next
      expect(reasoning._tag === "Event" && payload(reasoning.text).message_type).toBe("reasoning_message")
      yield* TestClock.adjust("500 millis")
      const assistant = yield* stream.next
      expect(assistant._tag === "Event" && payload(assistant.text).content).toBe("You said: hi")
      yield* TestClock.adjust("2 seconds")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(events.slice(-1)).toEqual([done])
    }))

  it.scoped("without pings the status line waits for the first (slow) event", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const opening = yield* Effect.fork(send(server, agentId, { input: "hi /slow 1000", include_pings: false }))
      yield* eventually(Effect.map(server.streams, (s) => (s.length === 1 ? true : undefined)))
      yield* TestClock.adjust("999 millis")
      expect((yield* server.streams)[0]!.frames).toEqual([])
      expect(opening.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const stream = yield* Fiber.join(opening)
      expect(stream.status).toBe(200)
      const first = yield* stream.next
      expect(first._tag === "Event" && payload(first.text).message_type).toBe("reasoning_message")
      yield* TestClock.adjust("1 minute")
      const { events } = yield* stream.drain
      expect(events.map((e) => e === done ? "done" : payload(e).message_type)).toEqual([
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        "done"
      ])
    }))

  it.scoped("a keepalive ping after each 20 s of silence, the timer reset by every event", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 30000" })
      const first = yield* stream.next
      const initial = first._tag === "Event" ? payload(first.text) : undefined
      const runId = initial.run_id
      yield* TestClock.adjust("19999 millis")
      expect(yield* written(server, runId)).toBe(1)
      yield* TestClock.adjust("1 millis")
      const keepalive = yield* stream.next
      expect(keepalive._tag).toBe("Event")
      const ping = payload((keepalive as { text: string }).text)
      expect((keepalive as { text: string }).text).toBe(pingFrame(ping.id, runId, "1970-01-01T00:00:20+00:00"))
      expect(ping.id).not.toBe(initial.id)

      // The first event at 30 s resets the timer: no ping at 40 s, the next one at 50 s.
      yield* TestClock.adjust("10 seconds")
      const reasoning = yield* stream.next
      expect(reasoning._tag === "Event" && payload(reasoning.text).message_type).toBe("reasoning_message")
      yield* TestClock.adjust("19999 millis")
      expect(yield* written(server, runId)).toBe(3)
      yield* TestClock.adjust("1 millis")
      const second = yield* stream.next
      expect(second._tag === "Event" && payload(second.text)).toMatchObject({
        message_type: "ping",
        date: "1970-01-01T00:00:50+00:00",
        seq_id: null
      })
      yield* TestClock.adjust("5 minutes")
      const { end, events } = yield* stream.drain
      expect(end).toBe("Eof")
      expect(events[events.length - 1]).toBe(done)
    }))

  it.scoped("keepaliveInterval is configurable, and include_pings: false sends none", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ keepaliveInterval: "1 second" })
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 2500" })
      yield* stream.next
      yield* TestClock.adjust("2500 millis")
      const types = [yield* stream.next, yield* stream.next, yield* stream.next].map((r) =>
        r._tag === "Event" ? payload(r.text).message_type : r._tag
      )
      expect(types).toEqual(["ping", "ping", "reasoning_message"])

      const quiet = yield* Effect.fork(send(server, agentId, { input: "hi /slow 2500", include_pings: false }))
      yield* eventually(Effect.map(server.streams, (s) => (s.length === 2 ? true : undefined)))
      yield* TestClock.adjust("1 minute")
      const { events } = yield* (yield* Fiber.join(quiet)).drain
      expect(events.some((e) => e.includes("\"ping\""))).toBe(false)
    }))
})

describe("/cut", () => {
  it.scoped("destroys the socket after n events while the run goes on", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const { end, events } = yield* (yield* send(server, agentId, { input: "hi /cut 2" })).drain
      expect(end).toBe("Reset")
      expect(events).toHaveLength(2)
      const runId = payload(events[0]!).run_id
      // Foreground runs survive a dropped client: the turn completes and is persisted.
      yield* eventually(Effect.map(server.streams, (s) => (s[0]!.done ? true : undefined)))
      expect((yield* server.streams)[0]!.frames).toHaveLength(2)
      expect(yield* getRun(server, runId)).toMatchObject({ status: "completed", stop_reason: "end_turn" })

      const none = yield* Effect.exit(send(server, agentId, { input: "hi /cut 0" }))
      expect(none._tag).toBe("Failure")
    }))
})

describe("cancelling a stream in progress", () => {
  const cancelAndFinish = (server: LettaTestServer.Service, agentId: string, stream: SseConnection) =>
    Effect.gen(function*() {
      const first = yield* stream.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""
      const cancel = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`)
      expect(cancel.json).toEqual({ [runId]: "cancelled" })
      expect(yield* getRun(server, runId)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
      // The wrapper notices when the next chunk flows (at least 0.5 s after it last looked).
      yield* TestClock.adjust("1 second")
      return { runId, rest: yield* stream.drain }
    })

  it.scoped("ends with the wrapper's json.dumps stop reason and no usage or [DONE]", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 1000" })
      const { rest, runId } = yield* cancelAndFinish(server, agentId, stream)
      expect(rest).toEqual({
        end: "Eof",
        events: ["data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"]
      })
      // Nothing overwrites the cancellation afterwards.
      yield* TestClock.adjust("1 minute")
      expect(yield* getRun(server, runId)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
    }))

  it.scoped("lets one more chunk slip out when the initial ping is off", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 1000", include_pings: false }).pipe(
        Effect.fork,
        Effect.tap(() => TestClock.adjust("1 second")),
        Effect.flatMap(Fiber.join)
      )
      const { rest } = yield* cancelAndFinish(server, agentId, stream)
      expect(rest.end).toBe("Eof")
      expect(rest.events[0]).toBe("data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n")
      expect(payload(rest.events[1]!).message_type).toBe("assistant_message")
      expect(rest.events).toHaveLength(2)
    }))
})

describe("connectionLog", () => {
  it.scoped("records when each socket opened and closed, in real time", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* send(server, agentId, { input: "hi /slow 60000" })
      const first = yield* stream.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""
      const record = (yield* server.streams).find((s) => s.runId === runId)!
      const before = (yield* server.connectionLog).find((c) => c.id === record.connectionId)!
      expect(before.closedAt).toBeUndefined()
      expect(before.openedAt).toBeLessThanOrEqual(performance.now())

      const interruptedAt = performance.now()
      yield* stream.destroy
      const closed = yield* eventually(Effect.map(server.connectionLog, (log) => {
        const entry = log.find((c) => c.id === record.connectionId)!
        return entry.closedAt === undefined ? undefined : entry
      }))
      expect(closed.closedAt! - interruptedAt).toBeLessThan(100)
      // The run goes on without its client.
      expect((yield* getRun(server, runId)).status).toBe("running")
      yield* TestClock.adjust("10 minutes")
      yield* eventually(Effect.map(server.streams, (s) => (s.find((r) => r.runId === runId)!.done ? true : undefined)))
      expect((yield* getRun(server, runId)).status).toBe("completed")
    }))
})
