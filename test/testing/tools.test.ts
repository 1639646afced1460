import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, eventually, otidOf, uuid4 } from "./helpers.js"
import { callId, calculator, clock, getRun, history, returns, send } from "./toolSupport.js"

const approvalRequestKeys = [
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
  "tool_call",
  "tool_calls"
]

describe("client-side tools (JSON sends)", () => {
  it.scoped("a named tool gets synthesized arguments; the step stops with requires_approval", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* send(server, agentId, {
        messages: [{ type: "message", role: "user", content: "use the calculator to multiply 6 by 7" }],
        client_tools: [calculator]
      })
      expect(reply.status).toBe(200)
      expect(reply.json.stop_reason).toEqual({ message_type: "stop_reason", stop_reason: "requires_approval" })
      expect(reply.json.usage.step_count).toBe(1)
      const [reasoning, request] = reply.json.messages
      expect(reply.json.messages).toHaveLength(2)
      expect(reasoning).toMatchObject({ message_type: "reasoning_message", reasoning: "I'll call calculator." })
      expect(Object.keys(request)).toEqual(approvalRequestKeys)
      // One approval-role message: the reasoning takes index 0 of its id, the request the id itself.
      expect(request.id).toBe(reasoning.id)
      expect(reasoning.otid).toBe(otidOf(request.id, 0))
      expect(request.otid).toBe(request.id)
      const toolCall = {
        name: "calculator",
        arguments: "{\"operation\":\"multiply\",\"a\":6,\"b\":7}",
        tool_call_id: request.tool_call.tool_call_id
      }
      expect(request).toMatchObject({ message_type: "approval_request_message", name: null, is_err: null, seq_id: null })
      expect(request.tool_call).toEqual(toolCall)
      expect(request.tool_calls).toEqual([toolCall])
      expect(toolCall.tool_call_id).toMatch(callId)
      const run = yield* getRun(server, request.run_id)
      expect(run).toMatchObject({ status: "completed", stop_reason: "requires_approval" })
      const steps = yield* call(server, "GET", `/v1/runs/${request.run_id}/steps`)
      expect(steps.json.map((s: any) => [s.id, s.stop_reason])).toEqual([[request.step_id, "requires_approval"]])

      // The client's return starts a new run that shows the tool return, then the model's report.
      const answer = yield* send(server, agentId, {
        messages: [{ ...returns(request.tool_calls, () => "42"), otid: "answer-otid" }],
        client_tools: [calculator]
      })
      expect(answer.status).toBe(200)
      expect(answer.json.stop_reason.stop_reason).toBe("end_turn")
      expect(answer.json.usage.step_count).toBe(1)
      const [toolReturn, thought, said] = answer.json.messages
      expect(answer.json.messages.map((m: any) => m.message_type)).toEqual([
        "tool_return_message",
        "reasoning_message",
        "assistant_message"
      ])
      expect(toolReturn).toEqual({
        id: toolReturn.id,
        date: "1970-01-01T00:00:00+00:00",
        name: null,
        message_type: "tool_return_message",
        otid: otidOf(toolReturn.id, 0),
        sender_id: null,
        // The answer is stored under the request's step, in the new run.
        step_id: request.step_id,
        is_err: null,
        seq_id: null,
        run_id: toolReturn.run_id,
        tool_return: "42",
        status: "success",
        tool_call_id: toolCall.tool_call_id,
        stdout: null,
        stderr: null,
        tool_returns: [
          { type: "tool", tool_return: "42", status: "success", tool_call_id: toolCall.tool_call_id, stdout: null, stderr: null }
        ]
      })
      expect(toolReturn.run_id).not.toBe(request.run_id)
      expect(thought.reasoning).toBe("The tools answered. I'll report.")
      expect(said.content).toBe("calculator: 42")
      expect(said.step_id).not.toBe(request.step_id)
    }))

  it.scoped("several /tool directives are parallel calls, sent verbatim; without parallel tool calls only the first stays", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const parallel = yield* createAgent(server, { parallel_tool_calls: true })
      const text = "go /tool calculator {\"a\": 1,} /slow 0 /tool clock {\"note\": \"}{ \\\" }\"} now"
      const both = yield* send(server, parallel, { input: text, client_tools: [calculator, clock] })
      const request = both.json.messages[1]
      expect(both.json.messages[0].reasoning).toBe("I'll call calculator, clock.")
      expect(request.tool_calls.map((c: any) => [c.name, c.arguments])).toEqual([
        ["calculator", "{\"a\": 1,}"],
        ["clock", "{\"note\": \"}{ \\\" }\"}"]
      ])
      expect(new Set(request.tool_calls.map((c: any) => c.tool_call_id)).size).toBe(2)
      expect(request.tool_call).toEqual(request.tool_calls[0])
      // The persisted user message keeps its directives.
      const listed = yield* history(server, parallel)
      expect(listed[1]).toMatchObject({ message_type: "user_message", content: text })

      // A default agent (parallel_tool_calls off, as on the real server) keeps the first call only.
      const single = yield* createAgent(server)
      const first = yield* send(server, single, { input: text, client_tools: [calculator, clock] })
      expect(first.json.messages[0].reasoning).toBe("I'll call calculator, clock.")
      expect(first.json.messages[1].tool_calls.map((c: any) => c.name)).toEqual(["calculator"])
      const agent = yield* call(server, "GET", `/v1/agents/${single}`)
      expect(agent.json.llm_config.parallel_tool_calls).toBe(false)
      const settings = yield* createAgent(server, { model_settings: { provider_type: "openai" } })
      expect((yield* call(server, "GET", `/v1/agents/${settings}`)).json.llm_config.parallel_tool_calls).toBe(true)
    }))

  it.scoped("a /tool naming a tool the request does not offer is text; so is an unbalanced one", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const unknown = yield* send(server, agentId, { input: "/tool weather {\"city\": \"Paris\"}" })
      expect(unknown.json.stop_reason.stop_reason).toBe("end_turn")
      expect(unknown.json.messages[1].content).toBe("You said: /tool weather {\"city\": \"Paris\"}")
      const unbalanced = yield* send(server, agentId, { input: "/tool clock {\"a\": 1", client_tools: [clock] })
      // Not a directive, but the text still names the clock.
      expect(unbalanced.json.messages[1].tool_calls[0]).toMatchObject({ name: "clock", arguments: "{}" })
    }))

  it.scoped("names match as whole words in client_tools order, then the approval tool", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { parallel_tool_calls: true })
      const tools = [
        clock,
        calculator,
        { name: "flags", parameters: { type: "object", properties: { on: { type: "boolean" }, n: { type: "integer" }, x: { type: "array" } } } }
      ]
      const reply = yield* send(server, agentId, {
        input: "DELETE_RECORDS \"users\" then Calculator: divide -3.5 by 2, and flags; no clocks",
        client_tools: tools
      })
      expect(reply.json.messages[1].tool_calls.map((c: any) => [c.name, c.arguments])).toEqual([
        ["calculator", "{\"operation\":\"divide\",\"a\":-3.5,\"b\":2}"],
        ["flags", "{\"on\":false,\"n\":-3.5}"],
        ["delete_records", "{\"table\":\"users\"}"]
      ])
      expect(LettaTestServer.approvalTool).toEqual({
        name: "delete_records",
        parameters: { type: "object", properties: { table: { type: "string" } }, required: ["table"] }
      })
      // Without a quoted string the whole text is the string; without numbers, 0; without an enum word, the first.
      const bare = yield* send(server, agentId, {
        messages: [{ type: "approval", approvals: reply.json.messages[1].tool_calls.map((c: any) => ({ type: "approval", tool_call_id: c.tool_call_id, approve: false })) }]
      })
      expect(bare.status).toBe(200)
      const plain = yield* send(server, agentId, { input: "calculator please", client_tools: [calculator] })
      expect(plain.json.messages[1].tool_call.arguments).toBe("{\"operation\":\"add\",\"a\":0,\"b\":0}")
      const deny = { type: "approval", approve: false, tool_call_id: plain.json.messages[1].tool_call.tool_call_id }
      yield* send(server, agentId, { messages: [{ type: "approval", approvals: [deny] }] })
      const table = yield* send(server, agentId, { input: "delete_records for me" })
      expect(table.json.messages[1].tool_call.arguments).toBe("{\"table\":\"delete_records for me\"}")
    }))
})

describe("the approval tool", () => {
  const ask = (server: LettaTestServer.Service, agentId: string) =>
    Effect.map(send(server, agentId, { input: "please delete_records \"users\"" }), (r) => r.json.messages[1])

  it.scoped("approved, the server runs it and the model reports", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = yield* ask(server, agentId)
      expect(request.tool_call).toMatchObject({ name: "delete_records", arguments: "{\"table\":\"users\"}" })
      const id = request.tool_call.tool_call_id
      const reply = yield* send(server, agentId, {
        messages: [{ type: "approval", approvals: [{ type: "approval", tool_call_id: id, approve: true }] }]
      })
      expect(reply.status).toBe(200)
      const [toolReturn, , said] = reply.json.messages
      expect(toolReturn).toMatchObject({
        name: "delete_records",
        tool_return: "Deleted 3 records from users",
        status: "success",
        tool_call_id: id,
        stdout: [],
        stderr: [],
        tool_returns: [{ type: "tool", tool_return: "Deleted 3 records from users", status: "success", tool_call_id: id, stdout: [], stderr: [] }]
      })
      expect(said.content).toBe("delete_records: Deleted 3 records from users")
    }))

  it.scoped("denied, its return is the real server's denial text", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = yield* ask(server, agentId)
      const id = request.tool_call.tool_call_id
      const reply = yield* send(server, agentId, {
        messages: [{ type: "approval", approvals: [{ type: "approval", tool_call_id: id, approve: false, reason: "not today" }] }]
      })
      const denial = "Error: request to call tool denied. User reason: not today"
      expect(reply.json.messages[0]).toMatchObject({ name: null, tool_return: denial, status: "error", stdout: null, stderr: null })
      expect(reply.json.messages[2].content).toBe(`delete_records failed: ${denial}`)
      // The legacy single-call form, without a reason: Python prints None.
      const again = yield* ask(server, agentId)
      const legacy = yield* send(server, agentId, {
        messages: [{ approve: false, approval_request_id: again.tool_call.tool_call_id }]
      })
      expect(legacy.json.messages[0].tool_return).toBe("Error: request to call tool denied. User reason: None")
    }))

  it.scoped("bad arguments make an error return; approving a client tool finds no server tool", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { parallel_tool_calls: true })
      const request = (yield* send(server, agentId, {
        input: "/tool delete_records {oops} /tool delete_records {\"table\": \"t\", \"x\": 1} /tool clock {}",
        client_tools: [clock]
      })).json.messages[1]
      const approve = request.tool_calls.map((c: any) => ({ type: "approval", tool_call_id: c.tool_call_id, approve: true }))
      const reply = yield* send(server, agentId, { messages: [{ type: "approval", approvals: approve }] })
      expect(reply.json.messages[0].tool_returns.map((r: any) => [r.status, r.tool_return])).toEqual([
        ["error", "Error executing function delete_records: TypeError: delete_records() missing 1 required positional argument: 'table'"],
        ["error", "Error executing function delete_records: TypeError: delete_records() got an unexpected keyword argument 'x'"],
        ["error", "Tool not found"]
      ])
      expect(reply.json.messages[2].content.split("\n")).toEqual([
        "delete_records failed: Error executing function delete_records: TypeError: delete_records() missing 1 required positional argument: 'table'",
        "delete_records failed: Error executing function delete_records: TypeError: delete_records() got an unexpected keyword argument 'x'",
        "clock failed: Tool not found"
      ])
    }))
})

describe("answers", () => {
  it.scoped("/rounds n asks for the same calls n times with fresh ids, then reports", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      let reply = yield* send(server, agentId, { input: "what time is it by the clock /rounds 3", client_tools: [clock] })
      const ids: Array<string> = []
      for (let round = 1; round <= 3; round++) {
        expect(reply.json.stop_reason.stop_reason).toBe("requires_approval")
        const request = reply.json.messages[reply.json.messages.length - 1]
        expect(request.tool_calls.map((c: any) => [c.name, c.arguments])).toEqual([["clock", "{}"]])
        ids.push(request.tool_call.tool_call_id)
        reply = yield* send(server, agentId, { messages: [returns(request.tool_calls, () => `${round} o'clock`)], client_tools: [clock] })
        expect(reply.json.messages[0].tool_return).toBe(`${round} o'clock`)
      }
      expect(new Set(ids).size).toBe(3)
      expect(reply.json.stop_reason.stop_reason).toBe("end_turn")
      expect(reply.json.messages[2].content).toBe("clock: 3 o'clock")
    }))

  it.scoped("must name exactly the pending calls; nothing pending is the real error", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { parallel_tool_calls: true })
      const none = yield* send(server, agentId, { messages: [returns([{ tool_call_id: "call_x" }], () => "1")] })
      expect(none.status).toBe(400)
      expect(none.json).toEqual({
        detail:
          "Cannot process approval response: No tool call is currently awaiting approval. Please send a regular message to interact with the agent."
      })
      const request = (yield* send(server, agentId, { input: "calculator and clock", client_tools: [calculator, clock] }))
        .json.messages[1]
      const [a, b] = request.tool_calls.map((c: any) => c.tool_call_id)
      const wrong = yield* send(server, agentId, { messages: [returns([{ tool_call_id: a }, { tool_call_id: "nope" }], () => "1")] })
      expect(wrong.status).toBe(400)
      expect(wrong.json).toEqual({ detail: `Invalid tool call IDs. Expected '['${a}', '${b}']', but received '['${a}', 'nope']'.` })
      const empty = yield* send(server, agentId, { messages: [{ type: "approval", approvals: [] }] })
      expect(empty.json).toEqual({
        detail: "Invalid approval response. Approval response message does not contain any approvals."
      })
      // The failed runs record the error, without a stop reason.
      const runs = (yield* call(server, "GET", `/v1/runs/?agent_id=${agentId}`)).json
      expect(runs[0]).toMatchObject({ status: "failed", stop_reason: null, metadata: { error: empty.json.detail } })
      // Still pending: a mix of a return and a decision answers both.
      const mixed = yield* send(server, agentId, {
        messages: [{
          type: "approval",
          approvals: [
            { type: "approval", tool_call_id: b, approve: false, reason: "no" },
            { type: "tool", tool_call_id: a, status: "error", tool_return: "division by zero" }
          ]
        }]
      })
      expect(mixed.status).toBe(200)
      expect(mixed.json.messages[2].content).toBe(
        "calculator failed: division by zero\nclock failed: Error: request to call tool denied. User reason: no"
      )
    }))

  it.scoped("items and ToolReturnCreate need their type tags (422); a typed ToolReturnCreate works", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = (yield* send(server, agentId, { input: "clock", client_tools: [clock] })).json.messages[1]
      const id = request.tool_call.tool_call_id
      const untypedItem = yield* send(server, agentId, {
        messages: [{ type: "approval", approvals: [{ tool_call_id: id, status: "success", tool_return: "noon" }] }]
      })
      expect(untypedItem.status).toBe(422)
      expect(untypedItem.json.detail).toContain("'type': 'union_tag_not_found'")
      expect(untypedItem.json.detail).toContain("'approvals', 0), 'msg': \"Unable to extract tag using discriminator 'type'\"")
      const untypedCreate = yield* send(server, agentId, {
        messages: [{ tool_returns: [{ type: "tool", tool_call_id: id, status: "success", tool_return: "noon" }] }]
      })
      expect(untypedCreate.status).toBe(422)
      expect(untypedCreate.json.detail).toContain("MessageCreate]', 'role'), 'msg': 'Field required'")
      const typed = yield* send(server, agentId, {
        messages: [{ type: "tool_return", tool_returns: [{ type: "tool", tool_call_id: id, status: "success", tool_return: "noon" }] }]
      })
      expect(typed.status).toBe(200)
      expect(typed.json.messages.map((m: any) => m.message_type)).toEqual([
        "tool_return_message",
        "reasoning_message",
        "assistant_message"
      ])
      expect(typed.json.messages[2].content).toBe("clock: noon")
    }))

  it.scoped("a regular message while a request is pending is a PendingApprovalError (409)", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = (yield* send(server, agentId, { input: "delete_records \"t\"" })).json.messages[1]
      const message = "CONFLICT: Cannot send a new message: The agent is waiting for approval on a tool call. " +
        "Please approve or deny the pending request before continuing."
      const blocked = yield* send(server, agentId, { input: "hello?" })
      expect(blocked.status).toBe(409)
      expect(blocked.json).toEqual({ detail: { code: "PENDING_APPROVAL", message, pending_request_id: request.id } })
      const runs = (yield* call(server, "GET", `/v1/runs/?agent_id=${agentId}`)).json
      expect(runs[0]).toMatchObject({ status: "failed", stop_reason: null, metadata: { error: message } })
      // The conversations endpoint's JSON path renders it with the generic handler.
      const direct = yield* call(server, "POST", "/v1/conversations/default/messages", {
        body: { agent_id: agentId, input: "hello?", streaming: false }
      })
      expect(direct.status).toBe(409)
      expect(direct.json).toEqual({ detail: message })
      // Nothing was persisted by the refused sends.
      const listed = yield* history(server, agentId)
      expect(listed[listed.length - 1].message_type).toBe("approval_request_message")
    }))

  it.scoped("a retried answer that was already processed is a keep-alive turn: the model carries on", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = (yield* send(server, agentId, { input: "clock /rounds 2", client_tools: [clock] })).json.messages[1]
      const answer = { messages: [returns(request.tool_calls, () => "noon")], client_tools: [clock] }
      const first = yield* send(server, agentId, answer)
      expect(first.json.stop_reason.stop_reason).toBe("requires_approval")
      // The same answer again, now that another request is pending: the ids do not match.
      const mismatch = yield* send(server, agentId, answer)
      expect(mismatch.status).toBe(400)
      const second = first.json.messages[first.json.messages.length - 1]
      const done = yield* send(server, agentId, { messages: [returns(second.tool_calls, () => "one")], client_tools: [clock] })
      expect(done.json.messages[2].content).toBe("clock: one")
      // Retried once more: its returns are persisted, so the turn goes on from a keep-alive message.
      const retried = yield* send(server, agentId, { messages: [returns(second.tool_calls, () => "one")], client_tools: [clock] })
      expect(retried.status).toBe(200)
      expect(retried.json.stop_reason.stop_reason).toBe("end_turn")
      expect(retried.json.messages.map((m: any) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
      expect(retried.json.messages[1].content).toBe("clock: one")
      const listed = yield* history(server, agentId)
      const keepAlive = listed[listed.length - 3]
      expect(keepAlive).toMatchObject({
        message_type: "user_message",
        content:
          "<system-alert>Automated keep-alive ping. Ignore this message and continue from where you stopped.</system-alert>",
        run_id: retried.json.messages[0].run_id
      })
      expect(keepAlive.otid).toMatch(uuid4)
    }))
})

describe("legacy answers naming the request message", () => {
  it.scoped("approve its first call; a denial matches no call, so the loop stops with invalid_tool_call", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const agent = (yield* call(server, "GET", `/v1/agents/${agentId}`)).json
      expect(agent.tool_rules).toEqual([{ tool_name: "delete_records", type: "requires_approval", prompt_template: null }])
      const ask = Effect.map(send(server, agentId, { input: "delete_records \"a\"" }), (r) => r.json.messages[1])
      const request = yield* ask
      const denied = yield* send(server, agentId, { messages: [{ approve: false, approval_request_id: request.id }] })
      expect(denied.status).toBe(200)
      expect(denied.json).toMatchObject({
        messages: [],
        stop_reason: { message_type: "stop_reason", stop_reason: "invalid_tool_call" },
        usage: { step_count: 0, total_tokens: 0, context_tokens: null }
      })
      // Nothing was persisted, so the request still waits; the run fails by its stop reason.
      const runs = (yield* call(server, "GET", `/v1/runs/?agent_id=${agentId}`)).json
      expect(runs[0]).toMatchObject({ status: "failed", stop_reason: "invalid_tool_call" })
      const listed = yield* history(server, agentId)
      expect(listed[listed.length - 1].id).toBe(request.id)
      const approved = yield* send(server, agentId, { messages: [{ approve: true, approval_request_id: request.id }] })
      expect(approved.json.messages[0]).toMatchObject({
        tool_return: "Deleted 3 records from a",
        tool_call_id: request.tool_call.tool_call_id
      })
    }))
})

describe("history", () => {
  it.scoped("lists the request, the answer (no otid, no step) and the tool return in order", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { parallel_tool_calls: true })
      const request = (yield* send(server, agentId, { input: "clock, delete_records \"logs\"", client_tools: [clock] }))
        .json.messages[1]
      const [clockCall, deleteCall] = request.tool_calls
      const answer = yield* send(server, agentId, {
        messages: [{
          type: "approval",
          otid: "answer-otid",
          approvals: [
            { type: "approval", tool_call_id: deleteCall.tool_call_id, approve: true },
            { type: "tool", tool_call_id: clockCall.tool_call_id, status: "success", tool_return: [{ type: "text", text: "noon" }, { type: "text", text: "UTC" }] }
          ]
        }],
        client_tools: [clock]
      })
      const listed = yield* history(server, agentId)
      expect(listed.map((m) => m.message_type)).toEqual([
        "system_message",
        "user_message",
        "reasoning_message",
        "approval_request_message",
        "approval_response_message",
        "tool_return_message",
        "reasoning_message",
        "assistant_message"
      ])
      expect(listed[3]).toEqual(request)
      const response = listed[4]
      expect(response).toEqual({
        id: response.id,
        date: "1970-01-01T00:00:00+00:00",
        name: null,
        message_type: "approval_response_message",
        // The answer's otid is not stored: create_approval_response_message_from_input drops it.
        otid: null,
        sender_id: null,
        step_id: null,
        is_err: null,
        seq_id: null,
        run_id: answer.json.messages[0].run_id,
        approvals: [
          { type: "approval", tool_call_id: deleteCall.tool_call_id, approve: true, reason: null },
          { type: "tool", tool_return: "noon\nUTC", status: "success", tool_call_id: clockCall.tool_call_id, stdout: null, stderr: null }
        ],
        approve: true,
        approval_request_id: deleteCall.tool_call_id,
        reason: null
      })
      // One tool message: the client's return (its parts kept), then the call the server ran.
      const toolReturn = listed[5]
      expect(toolReturn).toEqual(answer.json.messages[0])
      expect(toolReturn).toMatchObject({ name: "delete_records", tool_return: "noon\nUTC", tool_call_id: clockCall.tool_call_id })
      expect(toolReturn.tool_returns).toEqual([
        {
          type: "tool",
          tool_return: [{ type: "text", text: "noon", signature: null }, { type: "text", text: "UTC", signature: null }],
          status: "success",
          tool_call_id: clockCall.tool_call_id,
          stdout: null,
          stderr: null
        },
        { type: "tool", tool_return: "Deleted 3 records from logs", status: "success", tool_call_id: deleteCall.tool_call_id, stdout: [], stderr: [] }
      ])
      expect(listed[7].content).toBe("clock: noon\nUTC\ndelete_records: Deleted 3 records from logs")
      // The run's own messages are the answer's and the report.
      const runMessages = (yield* call(server, "GET", `/v1/runs/${response.run_id}/messages`)).json
      expect(runMessages.map((m: any) => m.message_type)).toEqual([
        "approval_response_message",
        "tool_return_message",
        "reasoning_message",
        "assistant_message"
      ])
    }))

  it.scoped("cancelling the run of an agent waiting for approval denies the pending calls", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const request = (yield* send(server, agentId, { input: "delete_records \"t\"" })).json.messages[1]
      const cancelled = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`, { body: {} })
      expect(cancelled.json).toEqual({ [request.run_id]: "cancelled" })
      expect(yield* getRun(server, request.run_id)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
      const listed = yield* history(server, agentId)
      const reason = "The user cancelled the request, so the tool call was denied."
      expect(listed.slice(-2)).toMatchObject([
        {
          message_type: "approval_response_message",
          run_id: request.run_id,
          approvals: [{ type: "approval", tool_call_id: request.tool_call.tool_call_id, approve: false, reason }],
          approve: false,
          reason
        },
        {
          message_type: "tool_return_message",
          step_id: request.step_id,
          status: "error",
          tool_return: `Error: request to call tool denied. User reason: ${reason}`
        }
      ])
      const after = yield* send(server, agentId, { input: "hi" })
      expect(after.status).toBe(200)
    }))
})

/** An async send, run to its terminal status. */
const sendAsync = (server: LettaTestServer.Service, agentId: string, body: unknown) =>
  Effect.gen(function*() {
    const created = yield* call(server, "POST", `/v1/agents/${agentId}/messages/async`, { body })
    yield* TestClock.adjust("50 millis")
    return yield* eventually(Effect.map(getRun(server, created.json.id), (r) => (r.status === "created" ? undefined : r)))
  })

describe("async runs", () => {
  it.scoped("end completed with requires_approval; client_tools do not reach the agent", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const run = yield* sendAsync(server, agentId, { input: "clock and delete_records \"t\"", client_tools: [clock] })
      expect(run).toMatchObject({ status: "completed", stop_reason: "requires_approval" })
      const messages = (yield* call(server, "GET", `/v1/runs/${run.id}/messages`)).json
      const request = messages[messages.length - 1]
      expect(request.tool_calls.map((c: any) => c.name)).toEqual(["delete_records"])
      // A pending approval fails an async run; the answer can go async too.
      const failed = yield* sendAsync(server, agentId, { input: "hi" })
      expect(failed).toMatchObject({ status: "failed", stop_reason: "error" })
      expect(failed.metadata.error).toContain("CONFLICT: Cannot send a new message: The agent is waiting for approval")
      const done = yield* sendAsync(server, agentId, {
        messages: [{ type: "approval", approvals: [{ type: "approval", tool_call_id: request.tool_call.tool_call_id, approve: true }] }]
      })
      expect(done).toMatchObject({ status: "completed", stop_reason: "end_turn" })
    }))
})
