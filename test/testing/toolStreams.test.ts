import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, eventually, openSse, otidOf, sseFrames } from "./helpers.js"
import {
  calculator,
  clock,
  decrement,
  getRun,
  history,
  kinds,
  payloads,
  returns,
  sdkHeaders,
  stream,
  withConversation
} from "./toolSupport.js"

/** A stream that asks for approval, and one that shows an answer and the report. */
const askedKinds = ["ping", "reasoning_message", "approval_request_message", "stop_reason", "usage_statistics", "[DONE]"]
const answeredKinds = [
  "ping",
  "tool_return_message",
  "reasoning_message",
  "assistant_message",
  "stop_reason",
  "usage_statistics",
  "[DONE]"
]

const pendingText = "CONFLICT: Cannot send a new message: The agent is waiting for approval on a tool call. " +
  "Please approve or deny the pending request before continuing."

describe("tool steps in step mode", () => {
  it.scoped("the request streams its reasoning and approval request, then requires_approval", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const asked = yield* stream(server, agentId, { input: "multiply 6 by 7 on the calculator", client_tools: [calculator] })
      expect(asked.status).toBe(200)
      const items = payloads(asked.frames)
      expect(kinds(items)).toEqual(askedKinds)
      const request = items[2]
      expect(request.tool_calls).toEqual([request.tool_call])
      expect(request.tool_call.arguments).toBe("{\"operation\":\"multiply\",\"a\":6,\"b\":7}")
      expect(asked.frames[3]!.data).toBe("{\"message_type\":\"stop_reason\",\"stop_reason\":\"requires_approval\"}")
      // Step mode shows the persisted message: the same as the history lists.
      const listed = yield* history(server, agentId)
      expect(listed.slice(2)).toEqual([items[1], items[2]])
      expect(yield* getRun(server, request.run_id)).toMatchObject({ status: "completed", stop_reason: "requires_approval" })

      const answered = yield* stream(server, agentId, {
        messages: [returns(request.tool_calls, () => "42")],
        client_tools: [calculator]
      })
      const after = payloads(answered.frames)
      expect(kinds(after)).toEqual(answeredKinds)
      expect(after[1]).toMatchObject({ tool_return: "42", tool_call_id: request.tool_call.tool_call_id, step_id: request.step_id })
      expect(after[3].content).toBe("calculator: 42")
      expect(after[5].step_count).toBe(1)
    }))

  it.scoped("a pending approval is reported inside a 200 stream, pings or not", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = payloads((yield* stream(server, agentId, { input: "delete_records \"t\"" })).frames)[2]
      for (const include_pings of [true, false]) {
        const blocked = yield* stream(server, agentId, { input: "hello?", include_pings })
        expect(blocked.status).toBe(200)
        const frames = include_pings ? blocked.frames.slice(1) : blocked.frames
        const runId = include_pings ? JSON.parse(blocked.frames[0]!.data).run_id : undefined
        expect(frames.map((f) => f.event)).toEqual(["message", "error", "message"])
        expect(frames[0]!.data).toBe("{\"message_type\":\"stop_reason\",\"stop_reason\":\"error\"}")
        const error = JSON.parse(frames[1]!.data)
        expect(error).toEqual({
          message_type: "error_message",
          run_id: error.run_id,
          error_type: "internal_error",
          message: pendingText,
          detail: pendingText,
          seq_id: null
        })
        if (runId !== undefined) expect(error.run_id).toBe(runId)
        expect(frames[2]!.data).toBe("[DONE]")
        expect(yield* getRun(server, error.run_id)).toMatchObject({
          status: "failed",
          stop_reason: "error",
          metadata: { error: { error } }
        })
      }
      // A wrong answer is a ValueError: not a LettaError, so its text is only the detail.
      const wrong = payloads((yield* stream(server, agentId, { messages: [returns([{ tool_call_id: "nope" }], () => "x")] })).frames)
      expect(wrong[2]).toMatchObject({
        error_type: "internal_error",
        message: "An unknown error occurred with the LLM streaming request.",
        detail: `Invalid tool call IDs. Expected '['${request.tool_call.tool_call_id}']', but received '['nope']'.`
      })
    }))

  it.scoped("/slow and /cut act on a tool step; the cut-off run still ends in requires_approval", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const connection = yield* openSse(server, `/v1/agents/${agentId}/messages`, {
        streaming: true,
        input: "clock /slow 100 /cut 3",
        client_tools: [clock]
      })
      yield* TestClock.adjust("1 second")
      const { end, events } = yield* connection.drain
      expect(end).toBe("Reset")
      const items = events.map((e) => JSON.parse(e.slice("data: ".length)))
      expect(kinds(items)).toEqual(["ping", "reasoning_message", "approval_request_message"])
      yield* eventually(Effect.map(server.streams, (s) => (s[0]!.done ? true : undefined)))
      expect(yield* getRun(server, items[0].run_id)).toMatchObject({ status: "completed", stop_reason: "requires_approval" })
    }))
})

describe("tool steps in token mode", () => {
  it.scoped("approval deltas carry the decremented id as id and otid, name first, then argument fragments", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { parallel_tool_calls: true })
      const asked = yield* stream(server, agentId, {
        input: "multiply 6 by 7 on the calculator, then check the clock",
        client_tools: [calculator, clock],
        stream_tokens: true
      })
      const items = payloads(asked.frames)
      expect(kinds(items).slice(-3)).toEqual(["stop_reason", "usage_statistics", "[DONE]"])
      const reasoning = items.filter((p) => p.message_type === "reasoning_message")
      const deltas = items.filter((p) => p.message_type === "approval_request_message")
      const assistantId = reasoning[0].id
      expect(reasoning.map((r) => r.reasoning).join("")).toBe("I'll call calculator, clock.")
      expect(reasoning.every((r) => r.id === assistantId && r.otid === otidOf(assistantId, 0))).toBe(true)
      const requestId = decrement(assistantId)
      expect(deltas.every((d) => d.id === requestId && d.otid === requestId && d.name === null)).toBe(true)
      // ApprovalRequestMessage keeps null keys in its deltas (it lacks ToolCallMessage's encoder).
      const first = asked.frames.find((f) => f.data.includes("approval_request_message"))!.data
      expect(first).toContain(`"tool_call":{"name":"calculator","arguments":null,"tool_call_id":"${deltas[0].tool_call.tool_call_id}"}`)
      expect(deltas[1].tool_call).toEqual({ name: null, arguments: "{\"operat", tool_call_id: deltas[0].tool_call.tool_call_id })
      expect(deltas.every((d) => JSON.stringify(d.tool_call) === JSON.stringify(d.tool_calls))).toBe(true)
      // Per call (keyed by tool_call_id): the name once, the arguments in fragments.
      const calls = new Map<string, { name: string; args: string }>()
      for (const d of deltas) {
        const c = calls.get(d.tool_call.tool_call_id) ?? { name: "", args: "" }
        calls.set(d.tool_call.tool_call_id, { name: c.name + (d.tool_call.name ?? ""), args: c.args + (d.tool_call.arguments ?? "") })
      }
      expect([...calls.values()]).toEqual([
        { name: "calculator", args: "{\"operation\":\"multiply\",\"a\":6,\"b\":7}" },
        { name: "clock", args: "{}" }
      ])
      const listed = yield* history(server, agentId)
      const request = listed[listed.length - 1]
      expect(request.id).toBe(requestId)
      expect(request.tool_calls.map((c: any) => c.tool_call_id)).toEqual([...calls.keys()])

      // Answered by the client alone, nothing but the model's step streams.
      const answered = payloads((yield* stream(server, agentId, {
        messages: [returns(request.tool_calls, (i) => `answer ${i}`)],
        client_tools: [calculator, clock],
        stream_tokens: true
      })).frames)
      expect(new Set(kinds(answered))).toEqual(
        new Set(["ping", "reasoning_message", "assistant_message", "stop_reason", "usage_statistics", "[DONE]"])
      )
      expect(answered.filter((p) => p.message_type === "assistant_message").map((p) => p.content).join("")).toBe(
        "calculator: answer 0\nclock: answer 1"
      )
    }))

  it.scoped("every call streams, but an agent without parallel calls keeps the first; run calls show their return", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const items = payloads((yield* stream(server, agentId, {
        input: "delete_records \"a\" and the clock",
        client_tools: [clock],
        stream_tokens: true
      })).frames)
      const ids = new Set(items.filter((p) => p.message_type === "approval_request_message").map((p) => p.tool_call.tool_call_id))
      expect(ids.size).toBe(2)
      const listed = yield* history(server, agentId)
      const request = listed[listed.length - 1]
      expect(request.tool_calls.map((c: any) => c.name)).toEqual(["clock"])
      const approved = payloads((yield* stream(server, agentId, {
        messages: [{ type: "approval", approvals: [{ type: "approval", tool_call_id: request.tool_call.tool_call_id, approve: true }] }],
        stream_tokens: true
      })).frames)
      expect(kinds(approved).slice(0, 2)).toEqual(["ping", "tool_return_message"])
      expect(approved[1]).toMatchObject({ name: "clock", status: "error", tool_return: "Tool not found" })
    }))
})

describe("background streams with tool steps", () => {
  it.scoped("number the approval request and the tool return; a resume replays them", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const asked = yield* stream(server, agentId, { input: "clock", client_tools: [clock], background: true })
      const items = payloads(asked.frames)
      expect(kinds(items)).toEqual(askedKinds)
      expect(items.slice(0, 3).map((p) => p.seq_id)).toEqual([1, 2, 3])
      const runId = items[0].run_id
      yield* eventually(Effect.map(getRun(server, runId), (r) => (r.status === "completed" ? r : undefined)))
      expect(yield* getRun(server, runId)).toMatchObject({ stop_reason: "requires_approval", background: true })
      const resumed = yield* call(server, "POST", `/v1/runs/${runId}/stream`, { body: { starting_after: 2 } })
      expect(sseFrames(resumed.text)).toEqual(asked.frames.slice(2))

      // The answer as a new background run, through the agent's default conversation.
      const answered = yield* call(server, "POST", "/v1/conversations/default/messages", {
        body: { agent_id: agentId, messages: [returns([items[2].tool_call], () => "noon")], client_tools: [clock], background: true }
      })
      const after = payloads(sseFrames(answered.text))
      expect(kinds(after)).toEqual(answeredKinds)
      expect(after.slice(0, 4).map((p) => p.seq_id)).toEqual([1, 2, 3, 4])
      expect(after[3].content).toBe("clock: noon")
    }))

  it.scoped("a retried background answer with the same otid replays its run instead of answering twice", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const { agentId, conversationId, send } = yield* withConversation(server, { background: true })
      const request = (yield* send({ input: "clock", client_tools: [clock] })).items[2]
      const answer = { messages: [{ ...returns([request.tool_call], () => "noon"), otid: "answer-1" }], client_tools: [clock] }
      const first = yield* send(answer)
      const again = yield* send(answer)
      expect(again.text).toBe(first.text)
      const runs = (yield* call(server, "GET", `/v1/runs/?agent_id=${agentId}`)).json
      expect(runs).toHaveLength(2)
      const listed = (yield* call(server, "GET", `/v1/conversations/${conversationId}/messages?order=asc`)).json
      expect(listed.filter((m: any) => m.message_type === "tool_return_message")).toHaveLength(1)
    }))
})

describe("conversations", () => {
  it.scoped("a conversation waits for its own approval; the agent's default thread does not", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const { agentId, conversationId, send } = yield* withConversation(server)
      const asked = yield* send({ input: "delete_records \"c\"" })
      const request = asked.items[2]
      expect(request).toMatchObject({ message_type: "approval_request_message" })
      const blocked = yield* send({ input: "hello?" })
      expect(blocked.items[2]).toMatchObject({ message_type: "error_message", message: pendingText })
      const plain = yield* send({ input: "hello?", streaming: false })
      expect(plain.status).toBe(409)
      expect(plain.json).toEqual({ detail: pendingText })
      // The agent's own thread is free.
      const direct = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "hi" }, headers: sdkHeaders })
      expect(direct.status).toBe(200)
      const answered = yield* send({
        messages: [{ type: "approval", approvals: [{ type: "approval", tool_call_id: request.tool_call.tool_call_id, approve: true }] }]
      })
      expect(kinds(answered.items)).toEqual(answeredKinds)
      expect(answered.items[3].content).toBe("delete_records: Deleted 3 records from c")
      const listed = (yield* call(server, "GET", `/v1/conversations/${conversationId}/messages?order=asc`)).json
      expect(listed.map((m: any) => m.message_type)).toContain("approval_response_message")
    }))
})
