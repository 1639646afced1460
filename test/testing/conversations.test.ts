import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, openSse, unknownAgentId, uuid4 } from "./helpers.js"

const payload = (event: string): any => JSON.parse(event.slice("data: ".length))

const createConversation = (server: LettaTestServer.Service, agentId: string, body?: unknown) =>
  call(server, "POST", `/v1/conversations/?agent_id=${agentId}`, body === undefined ? {} : { body })

const conversationOf = (server: LettaTestServer.Service, agentId: string) =>
  createConversation(server, agentId).pipe(
    Effect.filterOrDieMessage((r) => r.status === 200, "creating the conversation failed"),
    Effect.map((r) => r.json.id as string)
  )

const sendJson = (server: LettaTestServer.Service, conversationId: string, body: Record<string, unknown>) =>
  call(server, "POST", `/v1/conversations/${conversationId}/messages`, { body: { streaming: false, ...body } })

const getRun = (server: LettaTestServer.Service, runId: string) =>
  call(server, "GET", `/v1/runs/${runId}`).pipe(Effect.map((r) => r.json))

const unknownConversationId = "conv-00000000-0000-4000-8000-000000000000"

const busy = (runId: string) => ({
  detail:
    `CONFLICT: Cannot send a new message: Another request (run_id=${runId}) is currently being processed for this conversation. Please wait for it to complete.`,
  run_id: runId
})

describe("conversations", () => {
  it.scoped("are created for an agent and retrieved with their context", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { memory_blocks: [{ label: "human", value: "Ada" }] })
      const created = yield* createConversation(server, agentId, { summary: "Trip", isolated_block_labels: ["human"] })
      expect(created.status).toBe(200)
      expect(Object.keys(created.json)).toEqual([
        "created_by_id",
        "last_updated_by_id",
        "created_at",
        "updated_at",
        "id",
        "agent_id",
        "summary",
        "in_context_message_ids",
        "isolated_block_ids",
        "model",
        "model_settings",
        "last_message_at"
      ])
      expect(created.json).toMatchObject({
        created_at: "1970-01-01T00:00:00Z",
        agent_id: agentId,
        summary: "Trip",
        in_context_message_ids: [],
        model: null,
        model_settings: null,
        last_message_at: null
      })
      expect(created.json.id).toMatch(/^conv-/)
      expect(created.json.id.slice(5)).toMatch(uuid4)
      expect(created.json.isolated_block_ids).toHaveLength(1)

      // Without a body, and its own system message once read back.
      const bare = yield* call(server, "POST", `/v1/conversations/?agent_id=${agentId}`)
      expect(bare.status).toBe(200)
      const retrieved = yield* call(server, "GET", `/v1/conversations/${bare.json.id}`)
      expect(retrieved.json.in_context_message_ids).toHaveLength(1)
      const messages = yield* call(server, "GET", `/v1/conversations/${bare.json.id}/messages`)
      expect(messages.json.map((m: any) => [m.id, m.message_type])).toEqual([
        [retrieved.json.in_context_message_ids[0], "system_message"]
      ])
    }))

  it.scoped("reject bad input with the real server's statuses and bodies", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const noAgent = yield* call(server, "POST", "/v1/conversations/", { body: {} })
      expect(noAgent.status).toBe(422)
      expect(noAgent.json).toEqual({
        trace_id: "",
        detail: "[{'type': 'missing', 'loc': ('query', 'agent_id'), 'msg': 'Field required', 'input': None}]"
      })
      const unknown = yield* createConversation(server, unknownAgentId)
      expect(unknown.status).toBe(404)
      expect(unknown.json).toEqual({ detail: "Agent not found" })
      const handle = yield* createConversation(server, agentId, { model: "gpt-4o" })
      expect(handle.status).toBe(400)
      expect(handle.json).toEqual({ detail: "INVALID_ARGUMENT: The model handle should be in the format provider/model-name" })
      const label = yield* createConversation(server, agentId, { isolated_block_labels: ["persona"] })
      expect(label.json).toEqual({ detail: `INVALID_ARGUMENT: Block with label 'persona' not found on agent '${agentId}'` })

      // `conversation_id` is not a PATH_VALIDATORS primitive, so pydantic's own wording stays.
      const malformed = yield* call(server, "GET", "/v1/conversations/conv-123")
      expect(malformed.status).toBe(422)
      expect(malformed.json).toEqual({
        trace_id: "",
        detail:
          "[{'type': 'string_too_short', 'loc': ('path', 'conversation_id'), 'msg': 'String should have at least 41 characters', 'input': 'conv-123', 'ctx': {'min_length': 41}}]"
      })
      const notOrDefault = yield* call(server, "GET", "/v1/conversations/nope/messages")
      expect(notOrDefault.status).toBe(422)
      expect(notOrDefault.json.detail).toContain(
        "'type': 'string_pattern_mismatch', 'loc': ('path', 'conversation_id'), 'msg': \"String should match pattern '^(default|conv-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$'\""
      )
      const missing = yield* call(server, "GET", `/v1/conversations/${unknownConversationId}`)
      expect(missing.status).toBe(404)
      expect(missing.json.detail).toMatch(
        new RegExp(
          `^Conversation not found with id='\\['${unknownConversationId}'\\]', access level in \\['read'\\] for actor='id='user-00000000-0000-4000-8000-000000000000' .*', is_deleted=False$`
        )
      )
      // `default` without an agent is looked up as a conversation.
      const orphan = yield* sendJson(server, "default", { input: "x" })
      expect(orphan.status).toBe(404)
      expect(orphan.json.detail).toContain("Conversation not found with id='['default']'")
      const empty = yield* sendJson(server, "default", { messages: [], agent_id: agentId })
      expect(empty.json).toEqual({ detail: "Messages must not be empty" })
      const resume = yield* call(server, "POST", "/v1/conversations/default/stream", { body: { agent_id: agentId } })
      expect(resume.status).toBe(400)
      expect(resume.json.detail).toBe("INVALID_ARGUMENT: No active runs found for this conversation.")
    }))

  it.scoped("are listed per agent, newest first, with a cursor", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const other = yield* createAgent(server)
      const ids = [
        yield* conversationOf(server, agentId),
        yield* conversationOf(server, agentId),
        yield* conversationOf(server, agentId)
      ]
      yield* conversationOf(server, other)
      const list = yield* call(server, "GET", `/v1/conversations/?agent_id=${agentId}`)
      expect(list.json.map((c: any) => c.id)).toEqual([...ids].reverse())
      expect(list.json[0].in_context_message_ids).toEqual([])
      const asc = yield* call(server, "GET", `/v1/conversations/?agent_id=${agentId}&order=asc&after=${ids[0]}&limit=1`)
      expect(asc.json.map((c: any) => c.id)).toEqual([ids[1]])
      const all = yield* call(server, "GET", "/v1/conversations/")
      expect(all.json).toHaveLength(4)
      const unknown = yield* call(server, "GET", `/v1/conversations/?after=${unknownConversationId}`)
      expect(unknown.status).toBe(404)
    }))
})

describe("conversation messages", () => {
  it.scoped("send as JSON or SSE (the default) and record conversation runs", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const json = yield* sendJson(server, conversationId, { input: "first" })
      expect(json.status).toBe(200)
      expect(Object.keys(json.json)).toEqual(["messages", "stop_reason", "usage", "logprobs", "turns"])
      expect(json.json.messages.map((m: any) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
      // The non-streaming path leaves the conversation off its run.
      expect(yield* getRun(server, json.json.messages[0].run_id)).toMatchObject({
        conversation_id: null,
        metadata: { run_type: "send_conversation_message" },
        status: "completed"
      })

      // No SDK-version gate here: Node's fetch User-Agent is fine.
      const sse = yield* call(server, "POST", `/v1/conversations/${conversationId}/messages`, { body: { input: "second" } })
      expect(sse.status).toBe(200)
      expect(sse.headers.get("content-type")).toBe("text/event-stream; charset=utf-8")
      expect(sse.text.endsWith("data: [DONE]\n\n")).toBe(true)
      const runId = payload(sse.text.split("\n\n")[0]!).run_id
      expect(yield* getRun(server, runId)).toMatchObject({
        conversation_id: conversationId,
        metadata: { run_type: "send_conversation_message" },
        status: "completed",
        stop_reason: "end_turn"
      })
      const runs = yield* call(server, "GET", `/v1/runs/?conversation_id=${conversationId}`)
      expect(runs.json.map((r: any) => r.id)).toEqual([runId])

      const conversation = yield* call(server, "GET", `/v1/conversations/${conversationId}`)
      expect(conversation.json.in_context_message_ids).toHaveLength(5)
      expect(conversation.json.last_message_at).toBe("1970-01-01T00:00:00Z")
      // The agent's own thread is untouched; its full history includes the conversation.
      const agentThread = yield* call(server, "GET", `/v1/agents/${agentId}/messages?conversation_id=default`)
      expect(agentThread.json.map((m: any) => m.message_type)).toEqual(["system_message"])
      const inConversation = yield* call(server, "GET", `/v1/agents/${agentId}/messages?conversation_id=${conversationId}`)
      expect(inConversation.json).toHaveLength(7)
    }))

  it.scoped("list newest first with desc, position cursors, and unknown cursors ignored", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      for (const input of ["one", "two", "three"]) yield* sendJson(server, conversationId, { input })
      const path = `/v1/conversations/${conversationId}/messages`
      const desc = yield* call(server, "GET", path)
      const summary = (ms: any) => ms.map((m: any) => `${m.message_type}:${m.content ?? m.reasoning}`)
      // Newest DB message first; the parts of one message keep their natural order.
      expect(summary(desc.json).slice(0, 4)).toEqual([
        "reasoning_message:The user said \"three\". I'll answer.",
        "assistant_message:You said: three",
        "user_message:three",
        "reasoning_message:The user said \"two\". I'll answer."
      ])
      const asc = yield* call(server, "GET", `${path}?order=asc&limit=2`)
      expect(summary(asc.json)).toEqual([
        "system_message:You are a helpful assistant. Answer the user's messages.",
        "user_message:one"
      ])
      const ids: Array<string> = [...new Set<string>((yield* call(server, "GET", `${path}?order=asc`)).json.map((m: any) => m.id))]
      expect(ids).toHaveLength(7)
      const after = yield* call(server, "GET", `${path}?order=asc&after=${ids[4]}`)
      expect([...new Set(after.json.map((m: any) => m.id))]).toEqual(ids.slice(5))
      const before = yield* call(server, "GET", `${path}?before=${ids[2]}`)
      expect([...new Set(before.json.map((m: any) => m.id))]).toEqual([ids[1], ids[0]])
      const unknownCursor = "message-00000000-0000-4000-8000-000000000000"
      const ignored = yield* call(server, "GET", `${path}?after=${unknownCursor}&limit=3`)
      expect(ignored.status).toBe(200)
      expect(ignored.json).toEqual((yield* call(server, "GET", `${path}?limit=3`)).json)
      const types = yield* call(
        server,
        "GET",
        `${path}?include_return_message_types=user_message&include_return_message_types=system_message&order=asc`
      )
      expect(types.json.map((m: any) => m.message_type)).toEqual([
        "system_message",
        "user_message",
        "user_message",
        "user_message"
      ])
      // An unknown (well-formed) conversation simply has no messages.
      expect((yield* call(server, "GET", `/v1/conversations/${unknownConversationId}/messages`)).json).toEqual([])
    }))

  it.scoped("agent-direct mode (default + agent_id) uses the agent's own thread and the agents code path", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* sendJson(server, "default", { input: "direct", agent_id: agentId })
      expect(reply.status).toBe(200)
      expect(yield* getRun(server, reply.json.messages[0].run_id)).toMatchObject({
        conversation_id: null,
        metadata: { run_type: "send_message" }
      })
      const deprecated = yield* sendJson(server, agentId, { input: "legacy" })
      expect(deprecated.status).toBe(200)
      // desc on the agents code path still comes back oldest first.
      const listed = yield* call(server, "GET", `/v1/conversations/default/messages?agent_id=${agentId}&limit=2`)
      expect(listed.json.map((m: any) => m.message_type)).toEqual(["user_message", "reasoning_message", "assistant_message"])
      expect(listed.json[0].content).toBe("legacy")
      const unknownCursor = "message-00000000-0000-4000-8000-000000000000"
      const missing = yield* call(server, "GET", `/v1/conversations/${agentId}/messages?after=${unknownCursor}`)
      expect(missing.status).toBe(404)
    }))
})

describe("the conversation lock", () => {
  it.scoped("turns away a second send with 409 while a stream runs, until the run ends", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const path = `/v1/conversations/${conversationId}/messages`
      const holder = yield* openSse(server, path, { input: "hold /slow 1000" })
      const first = yield* holder.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""

      const second = yield* call(server, "POST", path, { body: { input: "again" } })
      expect(second.status).toBe(409)
      expect(second.text).toBe(JSON.stringify(busy(runId)))
      // The lock is per conversation: another conversation and the agents endpoint are free.
      const elsewhere = yield* call(server, "POST", `/v1/conversations/${yield* conversationOf(server, agentId)}/messages`, {
        body: { input: "elsewhere" }
      })
      expect(elsewhere.status).toBe(200)
      // The non-streaming path takes no lock.
      expect((yield* sendJson(server, conversationId, { input: "json" })).status).toBe(200)

      yield* TestClock.adjust("10 seconds")
      const { end, events } = yield* holder.drain
      expect(end).toBe("Eof")
      expect(events[events.length - 1]).toBe("data: [DONE]\n\n")
      // Released with the run's terminal update, before the body ended.
      expect(yield* getRun(server, runId)).toMatchObject({ status: "completed" })
      const after = yield* call(server, "POST", path, { body: { input: "now" } })
      expect(after.status).toBe(200)
    }))

  it.scoped("locks agent-direct sends on the agent, streaming or not", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const holder = yield* openSse(server, "/v1/conversations/default/messages", {
        input: "hold /slow 1000",
        agent_id: agentId
      })
      const first = yield* holder.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""
      expect(yield* getRun(server, runId)).toMatchObject({ metadata: { run_type: "send_message" }, conversation_id: null })
      const json = yield* sendJson(server, "default", { input: "x", agent_id: agentId })
      expect(json.status).toBe(409)
      expect(json.json).toEqual(busy(runId))
      const legacy = yield* call(server, "POST", `/v1/conversations/${agentId}/messages`, { body: { input: "x" } })
      expect(legacy.json).toEqual(busy(runId))
      // The agents endpoint never locks.
      const agents = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "x" } })
      expect(agents.status).toBe(200)
      yield* TestClock.adjust("10 seconds")
      yield* holder.drain
      expect((yield* sendJson(server, "default", { input: "x", agent_id: agentId })).status).toBe(200)
    }))
})

describe("POST /v1/conversations/{conversation_id}/cancel", () => {
  it.scoped("cancels the running stream, which ends with the wrapper's stop reason, and frees the lock", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const conversationId = yield* conversationOf(server, agentId)
      const path = `/v1/conversations/${conversationId}/messages`
      const stream = yield* openSse(server, path, { input: "hi /slow 1000" })
      const first = yield* stream.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""

      const cancel = yield* call(server, "POST", `/v1/conversations/${conversationId}/cancel`)
      expect(cancel.status).toBe(200)
      expect(cancel.json).toEqual({ [runId]: "cancelled" })
      expect(yield* getRun(server, runId)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
      // cancel_run releases the conversation's lock at once.
      const next = yield* call(server, "POST", path, { body: { input: "next" } })
      expect(next.status).toBe(200)

      yield* TestClock.adjust("1 second")
      expect(yield* stream.drain).toEqual({
        end: "Eof",
        events: ["data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"]
      })
      expect(yield* getRun(server, runId)).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })

      const nothing = yield* call(server, "POST", `/v1/conversations/${conversationId}/cancel`)
      expect(nothing.status).toBe(409)
      expect(nothing.json).toEqual({ detail: `CONFLICT: No active runs to cancel for conversation ${conversationId}` })
      const unknown = yield* call(server, "POST", `/v1/conversations/${unknownConversationId}/cancel`)
      expect(unknown.status).toBe(404)
    }))

  it.scoped("in agent-direct mode cancels the agent's active runs but leaves its lock to expire", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const stream = yield* openSse(server, "/v1/conversations/default/messages", { input: "hi /slow 1000", agent_id: agentId })
      const first = yield* stream.next
      const runId = first._tag === "Event" ? payload(first.text).run_id : ""
      const cancel = yield* call(server, "POST", `/v1/conversations/default/cancel?agent_id=${agentId}`)
      expect(cancel.json).toEqual({ [runId]: "cancelled" })
      yield* TestClock.adjust("1 second")
      expect((yield* stream.drain).events).toEqual([
        "data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"
      ])
      // An agent-direct run has no conversation id, so neither the cancel nor the stream frees the
      // agent's lock: it lapses after its 300 s TTL.
      expect((yield* sendJson(server, "default", { input: "x", agent_id: agentId })).json).toEqual(busy(runId))
      // Taken at 0 s, it is still held at 299 s and gone at 300 s.
      yield* TestClock.adjust("298 seconds")
      expect((yield* sendJson(server, "default", { input: "x", agent_id: agentId })).status).toBe(409)
      yield* TestClock.adjust("1 second")
      expect((yield* sendJson(server, "default", { input: "x", agent_id: agentId })).status).toBe(200)

      const nothing = yield* call(server, "POST", `/v1/conversations/default/cancel?agent_id=${agentId}`)
      expect(nothing.json).toEqual({ detail: "CONFLICT: No active runs to cancel for conversation default" })
    }))
})
