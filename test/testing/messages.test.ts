import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, rawCall, sseFrames, unknownAgentId, uuid4 } from "./helpers.js"

const send = (server: LettaTestServer.Service, agentId: string, body: unknown, headers?: Record<string, string>) =>
  call(server, "POST", `/v1/agents/${agentId}/messages`, { body, headers })

const sdkHeaders = { "x-stainless-package-version": "1.12.0" }

describe("POST /v1/agents/{agent_id}/messages (JSON)", () => {
  it.scoped("answers with the scripted turn as a LettaResponse", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* send(server, agentId, {
        messages: [{ type: "message", role: "user", content: "Hello there", otid: "client-otid-1" }]
      })
      expect(reply.status).toBe(200)
      const { logprobs, messages, stop_reason, turns, usage } = reply.json
      expect(Object.keys(reply.json)).toEqual(["messages", "stop_reason", "usage", "logprobs", "turns"])
      expect(logprobs).toBeNull()
      expect(turns).toBeNull()
      expect(stop_reason).toEqual({ message_type: "stop_reason", stop_reason: "end_turn" })
      expect(usage).toEqual({
        message_type: "usage_statistics",
        completion_tokens: usage.completion_tokens,
        prompt_tokens: usage.prompt_tokens,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        step_count: 1,
        run_ids: null,
        cached_input_tokens: null,
        cache_write_tokens: null,
        reasoning_tokens: null,
        context_tokens: usage.prompt_tokens + usage.completion_tokens
      })
      expect(messages).toHaveLength(2)
      const [reasoning, assistant] = messages
      // One DB message, two LettaMessages: same id, step and run, distinct otids.
      expect(reasoning.id).toBe(assistant.id)
      expect(reasoning.otid).not.toBe(assistant.otid)
      expect(reasoning.otid).toMatch(uuid4)
      expect(reasoning.step_id).toMatch(/^step-/)
      expect(reasoning.run_id).toMatch(/^run-/)
      expect(Object.keys(reasoning)).toEqual([
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
        "source",
        "reasoning",
        "signature"
      ])
      expect(reasoning).toMatchObject({
        message_type: "reasoning_message",
        date: "1970-01-01T00:00:00+00:00",
        source: "reasoner_model",
        reasoning: "The user said \"Hello there\". I'll answer.",
        signature: null,
        is_err: null,
        seq_id: null
      })
      expect(assistant).toMatchObject({ message_type: "assistant_message", content: "You said: Hello there" })

      // The user message is persisted (with the client's otid) but not echoed in the response.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      const user = history.json[1]
      expect(user).toMatchObject({
        message_type: "user_message",
        content: "Hello there",
        otid: "client-otid-1",
        run_id: reasoning.run_id,
        step_id: reasoning.step_id
      })
    }))

  it.scoped("accepts `input` as a string or as content parts, and filters message types", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const parts = yield* send(server, agentId, {
        input: [{ type: "text", text: "first" }, { type: "image", source: { type: "url", url: "http://x/y.png" } }],
        include_return_message_types: ["assistant_message"]
      })
      expect(parts.status).toBe(200)
      expect(parts.json.messages.map((m: any) => m.message_type)).toEqual(["assistant_message"])
      expect(parts.json.messages[0].content).toBe("You said: first")
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=asc`)
      expect(history.json[1].content).toEqual([
        { type: "text", text: "first", signature: null },
        { type: "image", source: { type: "url", url: "http://x/y.png" } }
      ])
      // A generated otid when the client sends none.
      expect(history.json[1].otid).toMatch(uuid4)
    }))

  it.scoped("enforces messages XOR input and the streaming-only options", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const both = yield* send(server, agentId, { input: "x", messages: [] })
      expect(both.status).toBe(422)
      expect(both.json).toEqual({
        trace_id: "",
        detail:
          "[{'type': 'value_error', 'loc': ('body',), 'msg': \"Value error, Cannot specify both 'input' and 'messages'. Use one or the other.\", 'input': {'input': 'x', 'messages': []}, 'ctx': {'error': ValueError(\"Cannot specify both 'input' and 'messages'. Use one or the other.\")}}]"
      })
      const neither = yield* send(server, agentId, { max_steps: 3 })
      expect(neither.status).toBe(422)
      expect(neither.json.detail).toContain("Value error, Must specify either 'input' or 'messages'.")
      const empty = yield* send(server, agentId, { messages: [] })
      expect(empty.status).toBe(422)
      expect(empty.json).toEqual({ detail: "Messages must not be empty" })

      const tokens = yield* send(server, agentId, { input: "x", stream_tokens: true })
      expect(tokens.status).toBe(422)
      expect(tokens.json).toEqual({
        detail:
          "Streaming options set without streaming enabled. stream_tokens can only be true when streaming=true. Either set streaming=true or use default values for streaming options."
      })
      const all = yield* send(server, agentId, { input: "x", streaming: false, include_pings: false, background: true })
      expect(all.json.detail).toBe(
        "Streaming options set without streaming enabled. include_pings can only be set to false when streaming=true; background can only be true when streaming=true. Either set streaming=true or use default values for streaming options."
      )
      // Defaults spelled out are fine.
      const defaults = yield* send(server, agentId, { input: "x", stream_tokens: false, include_pings: true })
      expect(defaults.status).toBe(200)
    }))

  it.scoped("infers message types exactly like the real request model", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      // A ToolReturnCreate without `type` is parsed as a message.
      const toolReturn = yield* send(server, agentId, {
        messages: [{ tool_returns: [{ type: "tool", tool_call_id: "c1", status: "success", tool_return: "ok" }] }]
      })
      expect(toolReturn.status).toBe(422)
      expect(toolReturn.json.detail).toContain(
        "{'type': 'missing', 'loc': ('body', 'messages', 0, 'function-after[generate_otid_if_missing(), MessageCreate]', 'role'), 'msg': 'Field required'"
      )
      expect(toolReturn.json.detail).toContain(
        "'loc': ('body', 'messages', 0, 'function-after[generate_otid_if_missing(), ToolReturnCreate]', 'type'), 'msg': \"Input should be <MessageCreateType.tool_return: 'tool_return'>\""
      )
      // So is an ApprovalCreate carrying only `approvals`.
      const approvalsOnly = yield* send(server, agentId, {
        messages: [{ approvals: [{ type: "approval", tool_call_id: "c1", approve: true }] }]
      })
      expect(approvalsOnly.status).toBe(422)
      // Every approvals[] item needs its `type` discriminator.
      const untagged = yield* send(server, agentId, {
        messages: [{ type: "approval", approvals: [{ tool_call_id: "c1", approve: true }] }]
      })
      expect(untagged.status).toBe(422)
      expect(untagged.json.detail).toContain(
        "{'type': 'union_tag_not_found', 'loc': ('body', 'messages', 0, 'function-after[migrate_deprecated_fields(), function-after[generate_otid_if_missing(), ApprovalCreate]]', 'approvals', 0), 'msg': \"Unable to extract tag using discriminator 'type'\""
      )
      // Content parts need a valid `type` too.
      const badPart = yield* send(server, agentId, { messages: [{ role: "user", content: [{ type: "txt", text: "x" }] }] })
      expect(badPart.status).toBe(422)
      expect(badPart.json.detail).toContain(
        "'type': 'union_tag_invalid', 'loc': ('body', 'messages', 0, 'function-after[generate_otid_if_missing(), MessageCreate]', 'content', 'list[tagged-union[TextContent,ImageContent,ToolCallContent,ToolReturnContent,ReasoningContent,RedactedReasoningContent,OmittedReasoningContent,SummarizedReasoningContent]]', 0), 'msg': \"Input tag 'txt' found using 'type' does not match any of the expected tags: <MessageContentType.text: 'text'>, <MessageContentType.image: 'image'>, <MessageContentType.tool_call: 'tool_call'>, <MessageContentType.tool_return: 'tool_return'>, <MessageContentType.reasoning: 'reasoning'>, <MessageContentType.redacted_reasoning: 'redacted_reasoning'>, <MessageContentType.omitted_reasoning: 'omitted_reasoning'>, <MessageContentType.summarized_reasoning: 'summarized_reasoning'>\""
      )
      // `approve` makes a typeless item an approval; well-formed approvals reach the agent,
      // which has no pending tool call (a ValueError: 400).
      const legacyApproval = yield* send(server, agentId, { messages: [{ approve: true, approval_request_id: "m1" }] })
      expect(legacyApproval.status).toBe(400)
      expect(legacyApproval.json).toEqual({
        detail:
          "Cannot process approval response: No tool call is currently awaiting approval. Please send a regular message to interact with the agent."
      })
      const typedReturn = yield* send(server, agentId, {
        messages: [{ type: "tool_return", tool_returns: [{ type: "tool", tool_call_id: "c1", status: "success", tool_return: "ok" }] }]
      })
      expect(typedReturn.status).toBe(400)
    }))

  it.scoped("reports JSON decode errors and wrong bodies like FastAPI", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const path = `/v1/agents/${agentId}/messages`
      const broken = yield* call(server, "POST", path, {
        rawBody: "{\"input\": \"x\",}",
        headers: { "content-type": "application/json" }
      })
      expect(broken.status).toBe(422)
      expect(broken.json).toEqual({
        trace_id: "",
        detail:
          "[{'type': 'json_invalid', 'loc': ('body', 14), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': 'Expecting property name enclosed in double quotes'}}]"
      })
      // The body is parsed before the path is validated.
      const both = yield* call(server, "POST", "/v1/agents/agent-x/messages", {
        rawBody: "nope",
        headers: { "content-type": "application/json" }
      })
      expect(both.json.detail).toContain("'json_invalid'")
      const text = yield* call(server, "POST", path, { rawBody: "input=x", headers: { "content-type": "text/plain" } })
      expect(text.status).toBe(422)
      expect(text.json.detail).toBe(
        "[{'type': 'model_attributes_type', 'loc': ('body',), 'msg': 'Input should be a valid dictionary or object to extract fields from', 'input': b'input=x'}]"
      )
      const notUtf8 = yield* Effect.promise(() =>
        fetch(server.url + path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: new Uint8Array([0x7b, 0xff, 0x7d])
        }).then(async (r) => ({ status: r.status, body: await r.json() }))
      )
      expect(notUtf8).toEqual({ status: 400, body: { detail: "There was an error parsing the body" } })
      const wrongTypes = yield* send(server, agentId, { input: "x", max_steps: "many", enable_thinking: true })
      expect(wrongTypes.json.detail).toBe(
        "[{'type': 'int_parsing', 'loc': ('body', 'max_steps'), 'msg': 'Input should be a valid integer, unable to parse string as an integer', 'input': 'many'}, {'type': 'string_type', 'loc': ('body', 'enable_thinking'), 'msg': 'Input should be a valid string', 'input': True}]"
      )
    }))

  it.scoped("turns /llm-error directives into the provider error envelopes", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const cases = [
        ["llm_rate_limit", 429, "Rate limit exceeded for LLM model provider. Please wait before making another request."],
        ["llm_timeout", 504, "The LLM request timed out. Please try again."],
        ["llm_insufficient_credits", 402, "Insufficient credits for LLM request. Please check your account."],
        ["llm_authentication", 401, "Authentication failed with the LLM model provider."],
        ["mcp_connection_error", 502, "Failed to connect to MCP server."],
        ["llm_bad_request", 400, "The request to the LLM model provider was invalid."],
        ["llm_error", 500, "An error occurred with the LLM request."]
      ] as const
      for (const [type, status, message] of cases) {
        const reply = yield* send(server, agentId, { input: `/llm-error ${type}` })
        expect(reply.status).toBe(status)
        expect(Object.keys(reply.json)).toEqual(["error"])
        expect(reply.json.error).toMatchObject({ type, message })
        expect(typeof reply.json.error.detail).toBe("string")
        expect(reply.headers.get("retry-after")).toBeNull()
      }
      const failure = yield* send(server, agentId, { input: "/fail" })
      expect(failure.status).toBe(500)
      expect(failure.json).toEqual({ detail: "An unknown error occurred" })
      // Failed turns leave only the system message in the history.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(history.json).toHaveLength(1)
      const runs = yield* call(server, "GET", `/v1/runs/?agent_id=${agentId}&limit=1`)
      expect(runs.json[0]).toMatchObject({ status: "failed", stop_reason: null, metadata: { run_type: "send_message" } })
      expect(runs.json[0].metadata.error).toBe("Scripted failure (directive /fail)")
    }))

  it.scoped("404s for unknown agents", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const reply = yield* send(server, unknownAgentId, { input: "x" })
      expect(reply.status).toBe(404)
      expect(reply.json).toEqual({ detail: `Agent with ID ${unknownAgentId} not found` })
      const asyncReply = yield* call(server, "POST", `/v1/agents/${unknownAgentId}/messages/async`, { body: { input: "x" } })
      expect(asyncReply.status).toBe(404)
      expect(asyncReply.json).toEqual({ detail: "Agent not found" })
    }))
})

describe("POST /v1/agents/{agent_id}/messages (streaming)", () => {
  it.scoped("streams the turn as step-mode SSE", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* send(server, agentId, { input: "stream me", streaming: true }, sdkHeaders)
      expect(reply.status).toBe(200)
      expect(reply.headers.get("content-type")).toBe("text/event-stream; charset=utf-8")
      expect(reply.headers.get("transfer-encoding")).toBe("chunked")
      expect(reply.text.endsWith("data: [DONE]\n\n")).toBe(true)
      const frames = sseFrames(reply.text)
      expect(frames.every((f) => f.event === "message")).toBe(true)
      const [ping, reasoning, assistant, stop, usage, done] = frames.map((f) => f.data)
      const pingJson = JSON.parse(ping!)
      expect(pingJson).toMatchObject({ message_type: "ping", seq_id: null, otid: null })
      expect(pingJson.id).toMatch(/^ping-/)
      expect(JSON.parse(reasoning!)).toMatchObject({ message_type: "reasoning_message", run_id: pingJson.run_id, seq_id: null })
      expect(JSON.parse(assistant!)).toMatchObject({ message_type: "assistant_message", content: "You said: stream me" })
      expect(stop).toBe("{\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}")
      expect(JSON.parse(usage!)).toMatchObject({ message_type: "usage_statistics", step_count: 1 })
      expect(done).toBe("[DONE]")
      expect(frames).toHaveLength(6)

      const run = yield* call(server, "GET", `/v1/runs/${pingJson.run_id}`)
      expect(run.json).toMatchObject({
        status: "completed",
        stop_reason: "end_turn",
        background: false,
        metadata: { run_type: "send_message" }
      })
    }))

  it.scoped("omits the ping without include_pings and reports errors in the stream", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const quiet = yield* send(server, agentId, { input: "x", streaming: true, include_pings: false }, sdkHeaders)
      expect(sseFrames(quiet.text).map((f) => JSON.parse(f.data === "[DONE]" ? "null" : f.data)?.message_type)).toEqual([
        "reasoning_message",
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        undefined
      ])

      const limited = yield* send(server, agentId, { input: "/llm-error llm_rate_limit", streaming: true }, sdkHeaders)
      expect(limited.status).toBe(200)
      const frames = sseFrames(limited.text)
      expect(frames.map((f) => f.event)).toEqual(["message", "message", "error", "message"])
      const runId = JSON.parse(frames[0]!.data).run_id
      expect(frames[1]!.data).toBe("{\"message_type\":\"stop_reason\",\"stop_reason\":\"llm_api_error\"}")
      expect(JSON.parse(frames[2]!.data)).toEqual({
        message_type: "error_message",
        run_id: runId,
        error_type: "llm_rate_limit",
        message: "Rate limit exceeded for LLM model provider. Please wait before making another request.",
        detail: expect.any(String),
        seq_id: null
      })
      expect(frames[3]!.data).toBe("[DONE]")
      const run = yield* call(server, "GET", `/v1/runs/${runId}`)
      expect(run.json).toMatchObject({ status: "failed", stop_reason: "llm_api_error" })
      expect(run.json.metadata.error.error).toMatchObject({ error_type: "llm_rate_limit", run_id: runId })

      const crash = yield* send(server, agentId, { input: "/fail boom", streaming: true }, sdkHeaders)
      const crashFrames = sseFrames(crash.text)
      expect(crashFrames[1]!.data).toBe("{\"message_type\":\"stop_reason\",\"stop_reason\":\"error\"}")
      expect(JSON.parse(crashFrames[2]!.data)).toMatchObject({
        error_type: "internal_error",
        message: "An unknown error occurred with the LLM streaming request.",
        detail: "boom"
      })
      const credits = yield* send(server, agentId, { input: "/llm-error llm_insufficient_credits", streaming: true }, sdkHeaders)
      expect(JSON.parse(sseFrames(credits.text)[2]!.data)).toMatchObject({
        error_type: "llm_error",
        message: "An error occurred with the LLM request."
      })
    }))

  it.scoped("applies the SDK-version gate of is_1_0_sdk_version", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const body = { input: "gate", streaming: true }
      const path = `/v1/agents/${agentId}/messages`
      const gate = { detail: "streaming=true is only supported for SDK v1.0+ clients." }

      const noUserAgent = yield* rawCall(server, "POST", path, body)
      expect(noUserAgent.status).toBe(200)
      expect(noUserAgent.headers["content-type"]).toBe("text/event-stream; charset=utf-8")
      const emptyUserAgent = yield* send(server, agentId, body, { "user-agent": "" })
      expect(emptyUserAgent.status).toBe(200)
      const stainless = yield* send(server, agentId, body, { "x-stainless-package-version": "1.0.0" })
      expect(stainless.status).toBe(200)
      const nodeFetch = yield* send(server, agentId, body)
      expect(nodeFetch.status).toBe(422)
      expect(nodeFetch.json).toEqual(gate)
      const node = yield* rawCall(server, "POST", path, body, { "user-agent": "node" })
      expect(node.status).toBe(422)
      expect(JSON.parse(node.text)).toEqual(gate)
      const python = yield* send(server, agentId, body, { "user-agent": "letta-client/1.2.3" })
      expect(python.status).toBe(200)
      const nodeSdk = yield* send(server, agentId, body, { "user-agent": "@letta-ai/letta-client/1.0.0-alpha.2" })
      expect(nodeSdk.status).toBe(200)
      const oldSdk = yield* send(server, agentId, body, { "user-agent": "letta-client/0.1.9" })
      expect(oldSdk.status).toBe(422)
      const ours = yield* send(server, agentId, body, { "user-agent": "effect-letta/0.1.0" })
      expect(ours.status).toBe(422)
      expect(ours.json).toEqual(gate)
      // The deprecated /messages/stream endpoint has no gate.
      const deprecated = yield* call(server, "POST", `${path}/stream`, { body: { input: "gate" } })
      expect(deprecated.status).toBe(200)
      const runId = JSON.parse(sseFrames(deprecated.text)[0]!.data).run_id
      const run = yield* call(server, "GET", `/v1/runs/${runId}`)
      expect(run.json.metadata).toEqual({ run_type: "send_message_streaming" })
    }))
})

describe("GET /v1/agents/{agent_id}/messages", () => {
  it.scoped("uses absolute cursors and a chronological desc page", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      for (const text of ["one", "two", "three"]) yield* send(server, agentId, { input: text })
      const all = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=asc`)
      // system + 3 × (user + reasoning + assistant)
      expect(all.json).toHaveLength(10)
      const ids: Array<string> = [...new Set<string>(all.json.map((m: any) => m.id))]
      expect(ids).toHaveLength(7)

      // desc picks the newest `limit` DB messages but still returns them oldest first.
      const newest = yield* call(server, "GET", `/v1/agents/${agentId}/messages?limit=2`)
      expect(newest.json.map((m: any) => [m.message_type, m.content ?? m.reasoning])).toEqual([
        ["user_message", "three"],
        ["reasoning_message", "The user said \"three\". I'll answer."],
        ["assistant_message", "You said: three"]
      ])
      // `after` is newer, `before` older, whatever the order.
      const afterDesc = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=desc&after=${ids[4]}`)
      expect(new Set(afterDesc.json.map((m: any) => m.id))).toEqual(new Set(ids.slice(5)))
      const beforeAsc = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=asc&before=${ids[2]}&limit=1`)
      expect(beforeAsc.json.map((m: any) => m.id)).toEqual([ids[0]])
      const window = yield* call(server, "GET", `/v1/agents/${agentId}/messages?after=${ids[1]}&before=${ids[4]}`)
      expect(new Set(window.json.map((m: any) => m.id))).toEqual(new Set([ids[2], ids[3]]))

      const types = yield* call(
        server,
        "GET",
        `/v1/agents/${agentId}/messages?include_return_message_types=user_message&include_return_message_types=system_message&order=asc`
      )
      expect(types.json.map((m: any) => m.message_type)).toEqual([
        "system_message",
        "user_message",
        "user_message",
        "user_message"
      ])
      const extras = yield* call(
        server,
        "GET",
        `/v1/agents/${agentId}/messages?conversation_id=default&include_err=true&use_assistant_message=false&group_id=g`
      )
      expect(extras.status).toBe(200)
      expect(extras.json).toEqual([])

      const unknownCursor = "message-00000000-0000-4000-8000-000000000000"
      const missing = yield* call(server, "GET", `/v1/agents/${agentId}/messages?after=${unknownCursor}`)
      expect(missing.status).toBe(404)
      expect(missing.json).toEqual({ detail: `No message found with id '${unknownCursor}' for agent '${agentId}'.` })
      const badQuery = yield* call(server, "GET", `/v1/agents/${agentId}/messages?order=sideways&include_return_message_types=bogus`)
      expect(badQuery.status).toBe(422)
      expect(badQuery.json.detail).toContain("{'type': 'literal_error', 'loc': ('query', 'order'), 'msg': \"Input should be 'asc' or 'desc'\"")
      expect(badQuery.json.detail).toContain("'loc': ('query', 'include_return_message_types', 0)")
    }))
})
