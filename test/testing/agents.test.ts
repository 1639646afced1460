import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, unknownAgentId } from "./helpers.js"

describe("agents", () => {
  it.scoped("creates an agent whose history starts with its system prompt", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const created = yield* call(server, "POST", "/v1/agents/", {
        body: {
          name: "Ada",
          model: "anthropic/claude-sonnet-4",
          embedding: "openai/text-embedding-3-small",
          system: "Be terse.",
          memory_blocks: [{ label: "human", value: "Name: Bob" }],
          tags: ["a", "b"],
          metadata: { team: "x" },
          some_future_field: true
        }
      })
      expect(created.status).toBe(200)
      expect(created.headers.get("content-type")).toBe("application/json")
      const agent = created.json
      expect(agent.id).toMatch(/^agent-[0-9a-f-]{36}$/)
      expect(agent.name).toBe("Ada")
      expect(agent.system).toBe("Be terse.")
      expect(agent.agent_type).toBe("letta_v1_agent")
      expect(agent.llm_config.handle).toBe("anthropic/claude-sonnet-4")
      expect(agent.llm_config.model_endpoint_type).toBe("anthropic")
      // Python floats keep their decimal point on the wire.
      expect(created.text).toContain("\"temperature\":0.7")
      expect(agent.embedding_config.handle).toBe("openai/text-embedding-3-small")
      expect(agent.blocks).toHaveLength(1)
      expect(agent.blocks[0]).toMatchObject({ label: "human", value: "Name: Bob", limit: 100000, hidden: null })
      expect(agent.memory.blocks).toEqual(agent.blocks)
      expect(agent.tags).toEqual(["a", "b"])
      expect(agent.metadata).toEqual({ team: "x" })
      expect(agent.pending_approval).toBeNull()
      expect(agent.created_at).toMatch(/^1970-01-01T00:00:00Z$/)
      expect(agent.message_ids).toHaveLength(1)

      const history = yield* call(server, "GET", `/v1/agents/${agent.id}/messages`)
      expect(history.status).toBe(200)
      expect(history.json).toEqual([{
        id: agent.message_ids[0],
        date: "1970-01-01T00:00:00+00:00",
        name: null,
        message_type: "system_message",
        otid: null,
        sender_id: null,
        step_id: null,
        is_err: null,
        seq_id: null,
        run_id: null,
        content: "Be terse."
      }])
    }))

  it.scoped("defaults the model and names agents without a name", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const created = yield* call(server, "POST", "/v1/agents/", { body: {} })
      expect(created.status).toBe(200)
      expect(created.json.name).toMatch(/^[A-Z][a-z]+[A-Z][a-z]+$/)
      expect(created.json.model).toBe("openai/gpt-4o-mini")
      expect(created.json.embedding_config).toBeNull()
    }))

  it.scoped("rejects what the real CreateAgent model rejects", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const badModel = yield* call(server, "POST", "/v1/agents/", { body: { model: "gpt-4o" } })
      expect(badModel.status).toBe(400)
      expect(badModel.json).toEqual({
        detail: "INVALID_ARGUMENT: The model handle should be in the format provider/model-name"
      })
      const badEmbedding = yield* call(server, "POST", "/v1/agents/", { body: { embedding: "nope" } })
      expect(badEmbedding.status).toBe(422)
      expect(badEmbedding.json.trace_id).toBe("")
      expect(badEmbedding.json.detail).toContain(
        "'type': 'value_error', 'loc': ('body', 'embedding'), 'msg': 'Value error, The embedding handle should be in the format provider/model-name'"
      )
      const badName = yield* call(server, "POST", "/v1/agents/", { body: { name: "a/b" } })
      expect(badName.status).toBe(500)
      expect(badName.json.detail).toMatch(/^Export failed: Agent name 'a\/b' contains invalid characters/)
      const noBody = yield* call(server, "POST", "/v1/agents/")
      expect(noBody.status).toBe(422)
      expect(noBody.json).toEqual({
        trace_id: "",
        detail: "[{'type': 'missing', 'loc': ('body',), 'msg': 'Field required', 'input': None}]"
      })
    }))

  it.scoped("retrieves and deletes agents", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server, { memory_blocks: [{ label: "persona", value: "calm" }] })

      // fetch sends `User-Agent: node`, a legacy client, so relationships are loaded.
      const legacy = yield* call(server, "GET", `/v1/agents/${agentId}`)
      expect(legacy.status).toBe(200)
      expect(legacy.json.blocks).toHaveLength(1)
      // A 1.0 SDK gets the relationships it asks for and nothing else.
      const sdk = yield* call(server, "GET", `/v1/agents/${agentId}`, { headers: { "x-stainless-package-version": "1.12.0" } })
      expect(sdk.json.blocks).toEqual([])
      const withBlocks = yield* call(server, "GET", `/v1/agents/${agentId}?include=agent.blocks`, {
        headers: { "x-stainless-package-version": "1.12.0" }
      })
      expect(withBlocks.json.blocks).toHaveLength(1)

      const deleted = yield* call(server, "DELETE", `/v1/agents/${agentId}`)
      expect(deleted.status).toBe(200)
      expect(deleted.text).toBe(`{"message":"Agent id=${agentId} successfully deleted"}`)
      const gone = yield* call(server, "GET", `/v1/agents/${agentId}`)
      expect(gone.status).toBe(404)
      expect(gone.json).toEqual({ detail: `Agent with ID ${agentId} not found` })
      const again = yield* call(server, "DELETE", `/v1/agents/${agentId}`)
      expect(again.status).toBe(404)
      expect(again.json.detail).toMatch(new RegExp(`^Agent not found with id='\\['${agentId}'\\]'`))
    }))

  it.scoped("validates agent ids in the path like the real server", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const short = yield* call(server, "GET", "/v1/agents/agent-foo")
      expect(short.status).toBe(422)
      expect(short.json).toEqual({
        trace_id: "",
        detail:
          "[{'type': 'string_pattern_mismatch', 'loc': ('path', 'agent_id'), 'msg': \"String should match pattern 'agent-{uuid4}'\", 'input': 'agent-foo', 'ctx': {'pattern': '^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'}}]",
        examples: ["agent-123e4567-e89b-42d3-8456-426614174000"]
      })
      // Right length, not a uuid4 (version nibble 1).
      const notV4 = yield* call(server, "GET", "/v1/agents/agent-00000000-0000-1000-8000-000000000000/messages")
      expect(notV4.status).toBe(422)
      expect(notV4.json.examples).toEqual(["agent-123e4567-e89b-42d3-8456-426614174000"])

      const unknown = yield* call(server, "GET", `/v1/agents/${unknownAgentId}`)
      expect(unknown.status).toBe(404)
      expect(unknown.json).toEqual({ detail: `Agent with ID ${unknownAgentId} not found` })
      // The history endpoint checks existence with validate_agent_exists_async instead.
      const history = yield* call(server, "GET", `/v1/agents/${unknownAgentId}/messages`)
      expect(history.status).toBe(404)
      expect(history.json).toEqual({ detail: "Agent not found" })
      const badUser = yield* call(server, "GET", `/v1/agents/${unknownAgentId}`, { headers: { user_id: "bob" } })
      expect(badUser.status).toBe(400)
      expect(badUser.json).toEqual({
        detail: "INVALID_ARGUMENT: Invalid user ID format: bob. Expected format: 'user-<uuid4>'"
      })
    }))

  it.scoped("answers unknown routes and methods like FastAPI", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const missing = yield* call(server, "GET", "/v1/nothing-here")
      expect(missing.status).toBe(404)
      expect(missing.text).toBe("{\"detail\":\"Not Found\"}")
      const wrongMethod = yield* call(server, "PUT", `/v1/agents/${unknownAgentId}`)
      expect(wrongMethod.status).toBe(405)
      expect(wrongMethod.json).toEqual({ detail: "Method Not Allowed" })
      expect(wrongMethod.headers.get("allow")).toBe("GET")
      // Starlette redirects to the trailing-slash variant; fetch follows the 307 with the same method and body.
      const redirect = yield* call(server, "POST", "/v1/agents", { body: {}, redirect: "manual" })
      expect(redirect.status).toBe(307)
      expect(redirect.headers.get("location")).toBe(`${server.url}/v1/agents/`)
      const followed = yield* call(server, "POST", "/v1/agents", { body: { name: "via-redirect" } })
      expect(followed.status).toBe(200)
      expect(followed.json.name).toBe("via-redirect")
      const latest = yield* call(server, "GET", `/latest/agents/${followed.json.id}`)
      expect(latest.status).toBe(200)
    }))

  it.scoped("reset-messages clears the context but keeps the history", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "one" } })
      const before = yield* call(server, "GET", `/v1/agents/${agentId}`)
      expect(before.json.message_ids).toHaveLength(3)
      const reset = yield* call(server, "PATCH", `/v1/agents/${agentId}/reset-messages`, {
        body: { add_default_initial_messages: false }
      })
      expect(reset.status).toBe(200)
      expect(reset.json.message_ids).toEqual([before.json.message_ids[0]])
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(history.json.map((m: any) => m.message_type)).toEqual([
        "system_message",
        "user_message",
        "reasoning_message",
        "assistant_message"
      ])
      const missingBody = yield* call(server, "PATCH", `/v1/agents/${agentId}/reset-messages`)
      expect(missingBody.status).toBe(422)
      const unknown = yield* call(server, "PATCH", `/v1/agents/${unknownAgentId}/reset-messages`, { body: {} })
      expect(unknown.status).toBe(404)
      expect(unknown.json.detail).toMatch(
        new RegExp(`^Agent not found with id='\\['${unknownAgentId}'\\]', access level in \\['read'\\] for actor='id='user-`)
      )
    }))

  it.scoped("summarize compacts the context window", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const nothing = yield* call(server, "POST", `/v1/agents/${agentId}/summarize`)
      // CompactionResponse(summary=None) fails pydantic validation in the real handler.
      expect(nothing.status).toBe(422)
      expect(nothing.json.detail).toMatch(/^1 validation error for CompactionResponse\nsummary\n/)

      yield* server.seedHistory(agentId, 5)
      const summarized = yield* call(server, "POST", `/v1/agents/${agentId}/summarize`)
      expect(summarized.status).toBe(200)
      // 1 system + 10 messages; 30% (3) are kept after the system and summary messages.
      expect(summarized.json).toMatchObject({ num_messages_before: 11, num_messages_after: 5 })
      expect(summarized.json.summary).toMatch(/^Summary of 7 earlier messages: user: Seeded message 1/)
      const agent = yield* call(server, "GET", `/v1/agents/${agentId}`)
      expect(agent.json.message_ids).toHaveLength(5)
      // The summary joins the history; nothing is deleted.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages?limit=1000`)
      expect(history.json).toHaveLength(1 + 5 * 3 + 1)
      expect(history.json.at(-1)).toMatchObject({ message_type: "user_message", content: summarized.json.summary })

      const all = yield* call(server, "POST", `/v1/agents/${agentId}/summarize`, {
        body: { compaction_settings: { mode: "all" } }
      })
      expect(all.status).toBe(200)
      expect(all.json).toMatchObject({ num_messages_before: 5, num_messages_after: 2 })
      const again = yield* call(server, "POST", `/v1/agents/${agentId}/summarize`)
      expect(again.status).toBe(200)
      expect(again.json).toEqual({ summary: all.json.summary, num_messages_before: 2, num_messages_after: 2 })
    }))
})
