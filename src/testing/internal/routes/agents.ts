/**
 * `/v1/agents` endpoints other than messaging: create, retrieve, delete,
 * reset-messages and summarize.
 */
import { Clock, Effect, Fiber } from "effect"
import * as Errors from "../errors.js"
import * as Ids from "../ids.js"
import * as P from "../pydantic.js"
import { checkHeaders, isSdkV1, optionalBody, Params, readBody, requiredBody } from "../request.js"
import type { Handler } from "../response.js"
import { json } from "../response.js"
import type { ServerState } from "../state.js"
import type { AgentRecord, BlockRecord, MessageRecord } from "../store.js"
import * as Validate from "../validate.js"
import * as Wire from "../wire.js"

/** The model a create request gets when it names none (the server's `default_llm_handle`). */
const defaultModelHandle = "openai/gpt-4o-mini"

const defaultSystemPrompt = "You are a helpful assistant. Answer the user's messages."

const knownEndpoints: Readonly<Record<string, string>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  google_ai: "https://generativelanguage.googleapis.com",
  letta: "https://inference.letta.com/v1"
}

const adjectives = ["Brave", "Calm", "Clever", "Gentle", "Happy", "Lucky", "Quiet", "Swift", "Witty", "Bright"]
const nouns = ["Otter", "Falcon", "Panda", "Robin", "Tiger", "Koala", "Heron", "Badger", "Lynx", "Wren"]
const randomName = () =>
  `${adjectives[Math.floor(Math.random() * adjectives.length)]}${nouns[Math.floor(Math.random() * nouns.length)]}`

// CreateAgent.validate_name: re.match(r"^[\w '\-]+$") with Unicode \w (letters, numbers, underscore);
// Python's `$` also matches before a final newline.
const validName = /^[\p{L}\p{N}_ '-]+\n?$/u

const splitHandle = (handle: string): [string, string] => {
  const i = handle.indexOf("/")
  return [handle.slice(0, i), handle.slice(i + 1)]
}

/** `agent_manager.get_agent_by_id_async` */
export const getAgent = (state: ServerState, agentId: string): Effect.Effect<AgentRecord, Errors.HttpError> => {
  const agent = state.store.agents.get(agentId)
  return agent === undefined ? Effect.fail(Errors.agentNotFound(agentId)) : Effect.succeed(agent)
}

/**
 * `create_agent_async`: a handle's llm_config has `parallel_tool_calls` off; `model_settings`
 * (whose own default is on) are applied over it, then the deprecated top-level field.
 */
const parallelToolCalls = (request: Record<string, unknown>): boolean => {
  const explicit = request["parallel_tool_calls"] as boolean | null
  if (explicit !== null) return explicit
  const settings = request["model_settings"] as Record<string, unknown> | null
  if (settings === null) return false
  return typeof settings["parallel_tool_calls"] === "boolean" ? settings["parallel_tool_calls"] : true
}

export const createAgent: Handler = (state, req) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    // The name and model validators raise non-ValueErrors, which escape pydantic before any 422 is built.
    const raw = body.present && P.isObject(body.value) ? body.value : {}
    if (typeof raw["name"] === "string" && raw["name"] !== "" && !validName.test(raw["name"])) {
      return yield* Errors.detail(
        500,
        `Export failed: Agent name '${
          raw["name"]
        }' contains invalid characters. Only letters (any language), digits, spaces, hyphens, underscores, and apostrophes are allowed. Please avoid filesystem-unsafe characters like: / \\ : * ? " < > |`
      )
    }
    if (typeof raw["model"] === "string" && raw["model"] !== "") {
      const [provider, rest] = splitHandle(raw["model"])
      if (!raw["model"].includes("/") || provider === "" || rest === "") {
        return yield* Errors.detail(400, "INVALID_ARGUMENT: The model handle should be in the format provider/model-name")
      }
    }
    const params = new Params(req, {})
    const request = params.body(requiredBody(body, Validate.createAgentRequest), {})
    yield* params.done
    const now = yield* Clock.currentTimeMillis
    const name = request["name"] === null ? randomName() : request["name"] as string
    const model = request["model"] as string | null
    const handle = model !== null && model !== "" ? model : defaultModelHandle
    const [provider, modelName] = splitHandle(handle)
    const embeddingHandle = request["embedding"] as string | null
    const blocks: Array<BlockRecord> = ((request["memory_blocks"] as Array<Record<string, unknown>> | null) ?? []).map(
      (b) => ({
        id: Ids.make("block"),
        label: b["label"] as string,
        value: b["value"] as string,
        limit: b["limit"] as number,
        description: b["description"] as string | null,
        readOnly: b["read_only"] as boolean,
        metadata: (b["metadata"] as Record<string, unknown> | null) ?? {},
        tags: (b["tags"] as Array<string> | null) ?? []
      })
    )
    const agentId = Ids.make("agent")
    const system = (request["system"] as string | null) ?? defaultSystemPrompt
    const agent = state.store.addAgent({
      id: agentId,
      name,
      system,
      agentType: request["agent_type"] as string,
      llm: {
        handle,
        model: modelName,
        providerName: provider,
        endpointType: provider,
        endpoint: knownEndpoints[provider] ?? null,
        contextWindow: (request["context_window_limit"] as number | null) ?? 128_000,
        parallelToolCalls: parallelToolCalls(request)
      },
      embedding: embeddingHandle === null || embeddingHandle === ""
        ? null
        : {
          handle: embeddingHandle,
          model: splitHandle(embeddingHandle)[1],
          endpointType: splitHandle(embeddingHandle)[0],
          endpoint: knownEndpoints[splitHandle(embeddingHandle)[0]] ?? null,
          dim: 1536
        },
      blocks,
      tags: (request["tags"] as Array<string> | null) ?? [],
      metadata: request["metadata"] as Record<string, unknown> | null,
      description: request["description"] as string | null,
      timezone: (request["timezone"] as string | null) ?? "UTC",
      createdAt: now,
      updatedAt: now,
      inContext: [],
      lastStopReason: null,
      lastRunCompletion: null,
      lastRunDurationMs: null,
      lastSendRunId: null
    })
    // A letta_v1_agent's initial message sequence is just its system message.
    const systemMessage = state.store.addMessage({
      agentId,
      role: "system",
      content: [{ type: "text", text: system, signature: null }],
      createdAt: now
    })
    agent.inContext.push(systemMessage.id)
    return json(Wire.agentState(agent))
  })

const relationshipNames = [
  "agent.blocks",
  "agent.identities",
  "agent.managed_group",
  "agent.pending_approval",
  "agent.secrets",
  "agent.sources",
  "agent.tags",
  "agent.tools"
] as const

export const retrieveAgent: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const legacy = params.queryList("include_relationships", P.str)
    const include = params.queryList("include", P.literal(relationshipNames)) ?? []
    yield* params.done
    const agent = yield* getAgent(state, agentId)
    // 1.0 SDK clients get no relationships unless they ask for them with `include`.
    const rel = legacy === null && !isSdkV1(req) ? null : (legacy ?? [])
    const has = (name: string, includeName: string) =>
      rel === null || rel.includes(name) || (include as ReadonlyArray<string>).includes(includeName)
    return json(Wire.agentState(agent, {
      memory: has("memory", "agent.blocks"),
      tools: has("tools", "agent.tools"),
      sources: has("sources", "agent.sources"),
      tags: has("tags", "agent.tags") || include.includes("agent.blocks")
    }))
  })

export const deleteAgent: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    yield* params.done
    // delete_agent_async reads the agent through the ORM, so an unknown id gets the ORM's text.
    if (!state.store.agents.has(agentId)) return yield* Errors.ormNotFound("Agent", agentId, state.startedAt)
    const removed = state.store.deleteAgent(agentId)
    for (const run of removed) {
      const fiber = state.runFibers.get(run.id)
      if (fiber !== undefined) {
        state.runFibers.delete(run.id)
        yield* Fiber.interrupt(fiber)
      }
    }
    return json({ message: `Agent id=${agentId} successfully deleted` })
  })

export const resetMessages: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    params.body(requiredBody(body, Validate.resetMessagesRequest), {})
    yield* params.done
    const agent = state.store.agents.get(agentId)
    if (agent === undefined) return yield* Errors.ormNotFound("Agent", agentId, state.startedAt)
    const now = yield* Clock.currentTimeMillis
    // Only the context window is cleared; the messages stay in the history. A letta_v1_agent's
    // default initial sequence is the system message alone, so there is nothing to re-add.
    agent.inContext = agent.inContext.slice(0, 1)
    agent.updatedAt = now
    // `needs_agent_state=not is_1_0_sdk_version(headers)`: v1 clients get `null`.
    return json(isSdkV1(req) ? null : Wire.agentState(agent))
  })

// ---------------------------------------------------------------------------
// Summarize
// ---------------------------------------------------------------------------

const summaryValidationError = "1 validation error for CompactionResponse\nsummary\n" +
  "  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]\n" +
  "    For further information visit https://errors.pydantic.dev/2.11/v/string_type"

const messageText = (m: MessageRecord) =>
  m.content.map((p) => (typeof p["text"] === "string" ? p["text"] : "")).filter((t) => t !== "").join(" ")

export const summarize: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const request = params.body(optionalBody(body, Validate.compactionRequest), null)
    yield* params.done
    const agent = yield* getAgent(state, agentId)
    const now = yield* Clock.currentTimeMillis
    const store = state.store
    const inContext = agent.inContext.map((id) => store.messages.get(id)).filter((m) => m !== undefined)
    const conversation = inContext.filter((m) => m.role !== "system" && m.role !== "summary")
    if (conversation.length === 0) {
      const existing = inContext.find((m) => m.role === "summary")
      // CompactionResponse(summary=None) raises a pydantic ValidationError, which the 422 handler reports.
      if (existing === undefined) return yield* Errors.detail(422, summaryValidationError)
      return json({
        summary: messageText(existing),
        num_messages_before: inContext.length,
        num_messages_after: inContext.length
      })
    }
    const settings = request?.["compaction_settings"] as Record<string, unknown> | null | undefined
    const mode = (settings?.["mode"] as string | undefined) ?? "sliding_window"
    const clip = (settings?.["clip_chars"] as number | null | undefined) ?? 50_000
    // Sliding-window modes keep the newest `sliding_window_percentage` (default 30%) of the conversation
    // verbatim; "all" modes summarize everything.
    const percentage = (settings?.["sliding_window_percentage"] as number | undefined) ?? 0.3
    const keep = mode.endsWith("sliding_window")
      ? Math.min(conversation.length, Math.max(0, Math.floor(conversation.length * percentage)))
      : 0
    const summarized = conversation.slice(0, conversation.length - keep)
    const kept = conversation.slice(conversation.length - keep)
    const before = inContext.length
    const after = 2 + kept.length
    if (before <= after) {
      return yield* Errors.detail(
        400,
        "Summarization failed to reduce the number of messages. You may not have enough messages to compact or need to use a different CompactionSettings (e.g. using `all` mode)."
      )
    }
    let summary = `Summary of ${summarized.length} earlier messages: ` +
      summarized.map((m) => `${m.role === "summary" ? "user" : m.role}: ${messageText(m)}`).join(" | ")
    if (clip !== null && summary.length > clip) summary = summary.slice(0, clip)
    const summaryMessage = store.addMessage({
      agentId,
      role: "summary",
      content: [{ type: "text", text: summary, signature: null }],
      createdAt: now
    })
    agent.inContext = [agent.inContext[0]!, summaryMessage.id, ...kept.map((m) => m.id)]
    agent.updatedAt = now
    return json({ summary, num_messages_before: before, num_messages_after: after })
  })
