/**
 * Rendering of the server's objects exactly as pydantic's `model_dump_json()`
 * and orjson put them on the wire: compact JSON, field order of the pydantic
 * models, an explicit `null` for every optional field, Python float syntax and
 * the three different date formats the server uses.
 */
import { PyFloat, reprFloat } from "./pyrepr.js"
import * as Ids from "./ids.js"
import { approvalTool } from "./toolCalls.js"
import type {
  AgentRecord,
  ApprovalItem,
  BlockRecord,
  ConversationRecord,
  MessageRecord,
  Part,
  RunRecord,
  StepRecord,
  ToolCallRecord,
  ToolReturnRecord
} from "./store.js"

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

/** Compact JSON like orjson / `json.dumps(separators=(",", ":"))`; `PyFloat` keeps its `.0`. */
export const stringify = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (value instanceof PyFloat) {
    return Number.isFinite(value.value) ? reprFloat(value.value) : "null"
  }
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null"
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`
  if (typeof value === "object") {
    const parts: Array<string> = []
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      parts.push(`${JSON.stringify(k)}:${stringify(v)}`)
    }
    return `{${parts.join(",")}}`
  }
  return "null"
}

const pyEscape = (c: string): string => {
  switch (c) {
    case "\\":
      return "\\\\"
    case "\"":
      return "\\\""
    case "\n":
      return "\\n"
    case "\r":
      return "\\r"
    case "\t":
      return "\\t"
    case "\b":
      return "\\b"
    case "\f":
      return "\\f"
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`
  }
}

/**
 * Python's `json.dumps` with its defaults, used by the two writers that bypass
 * pydantic (the cancellation wrapper's stop reason and the response wrapper's
 * error events): `", "` and `": "` separators and `ensure_ascii` (everything
 * outside printable ASCII escaped, astral characters as surrogate pairs).
 */
export const dumps = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "string") return `"${value.replace(/[\\"]|[^\x20-\x7e]/g, pyEscape)}"`
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "NaN"
  if (typeof value === "boolean") return value ? "true" : "false"
  if (Array.isArray(value)) return `[${value.map(dumps).join(", ")}]`
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${dumps(k)}: ${dumps(v)}`)
    return `{${entries.join(", ")}}`
  }
  return "null"
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

const pad = (n: number, width = 2) => n.toString().padStart(width, "0")

const datePart = (d: Date) =>
  `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${
    pad(d.getUTCMinutes())
  }:${pad(d.getUTCSeconds())}`

/** `LettaMessage.date`: `isoformat(timespec="seconds")` of an aware UTC datetime. */
export const messageDate = (ms: number): string => `${datePart(new Date(ms))}+00:00`

// pydantic (speedate) writes six fractional digits, or none when the microseconds are zero.
const fraction = (ms: number) => {
  const micros = (((ms % 1000) + 1000) % 1000) * 1000
  return micros === 0 ? "" : `.${pad(micros, 6)}`
}

/** A tz-aware UTC datetime in pydantic's JSON mode, e.g. `Run.created_at`. */
export const utcDateTime = (ms: number): string => `${datePart(new Date(ms))}${fraction(ms)}Z`

/** A naive datetime in pydantic's JSON mode, e.g. `Run.completed_at` (UTC without an offset). */
export const naiveDateTime = (ms: number): string => `${datePart(new Date(ms))}${fraction(ms)}`

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

export type WireObject = Record<string, unknown>

const base = (m: MessageRecord, messageType: string, otid: string | null): WireObject => ({
  id: m.id,
  date: messageDate(m.createdAt),
  name: m.name,
  message_type: messageType,
  otid,
  sender_id: m.senderId,
  step_id: m.stepId,
  is_err: null,
  seq_id: null,
  run_id: m.runId
})

const textOf = (part: Part): string => typeof part["text"] === "string" ? part["text"] : ""

const isSingleText = (content: ReadonlyArray<Part>) => content.length === 1 && content[0]!.type === "text"

/**
 * `Message.to_letta_messages` for a letta_v1_agent (`text_is_assistant_message`):
 * one DB message can expand into several LettaMessages that share its `id`.
 */
export const lettaMessages = (m: MessageRecord): Array<WireObject> => {
  switch (m.role) {
    case "system":
      return [{ ...base(m, "system_message", m.otid), content: m.content.map(textOf).join("") }]
    case "user":
    case "summary":
      return [{
        ...base(m, "user_message", m.otid),
        content: isSingleText(m.content) ? textOf(m.content[0]!) : m.content.map(userPart)
      }]
    case "assistant":
      return contentMessages(m)
    case "approval":
      return m.toolCalls !== null && m.toolCalls.length > 0
        ? [...contentMessages(m), approvalRequest(m, m.toolCalls)]
        : [approvalResponse(m)]
    case "tool":
      return [toolReturnMessage(m)]
  }
}

/** `_convert_reasoning_messages` with `text_is_assistant_message`: reasoning and assistant parts. */
const contentMessages = (m: MessageRecord): Array<WireObject> => {
  const out: Array<WireObject> = []
  for (const part of m.content) {
    const otid = Ids.otidFromId(m.id, out.length)
    if (part.type === "reasoning") {
      const last = out[out.length - 1]
      if (last !== undefined && last["message_type"] === "reasoning_message") {
        last["reasoning"] = `${last["reasoning"] as string}${part["reasoning"] as string}`
        continue
      }
      out.push({
        ...base(m, "reasoning_message", otid),
        sender_id: null,
        source: "reasoner_model",
        reasoning: part["reasoning"],
        signature: part["signature"] ?? null
      })
    } else if (part.type === "text") {
      const last = out[out.length - 1]
      if (last !== undefined && last["message_type"] === "assistant_message") {
        last["content"] = `${last["content"] as string}${textOf(part)}`
        continue
      }
      out.push({ ...base(m, "assistant_message", otid), content: textOf(part) })
    }
  }
  return out
}

/** A complete `ToolCall` (step mode and history). */
export const toolCall = (call: ToolCallRecord): WireObject => ({
  name: call.name,
  arguments: call.arguments,
  tool_call_id: call.id
})

/** `_convert_approval_request_message`: the first call (deprecated field) and all of them. */
const approvalRequest = (m: MessageRecord, calls: ReadonlyArray<ToolCallRecord>): WireObject => ({
  ...base(m, "approval_request_message", m.otid),
  tool_call: toolCall(calls[0]!),
  tool_calls: calls.map(toolCall)
})

/**
 * `tool_return_to_text`: the text parts (empty ones left out) on separate
 * lines, images as a placeholder.
 */
export const toolReturnText = (response: string | ReadonlyArray<Part>): string => {
  if (typeof response === "string") return response
  const text = response.filter((p) => p.type === "text" && textOf(p) !== "").map(textOf).join("\n")
  const images = response.filter((p) => p.type === "image").length
  if (images === 0) return text
  const placeholder = images === 1 ? "[Image omitted]" : `[${images} images omitted]`
  return text === "" ? placeholder : `${text} ${placeholder}`
}

/**
 * A `ToolReturn` of a tool message: `_parse_tool_response` reads a text
 * answer's status back from its packaged JSON, but calls any list of parts a
 * success, whatever the client said.
 */
const toolReturn = (r: ToolReturnRecord): WireObject => ({
  type: "tool",
  tool_return: typeof r.response === "string" ? r.response : r.response.map((p) => ({ ...p })),
  status: typeof r.response === "string" ? r.status : "success",
  tool_call_id: r.toolCallId,
  stdout: r.stdout,
  stderr: r.stderr
})

/** `_convert_explicit_tool_returns`: every return, the first one again in the deprecated fields. */
const toolReturnMessage = (m: MessageRecord): WireObject => {
  const returns = (m.toolReturns ?? []).map(toolReturn)
  const first = returns[0]
  return {
    ...base(m, "tool_return_message", Ids.otidFromId(m.id, 0)),
    tool_return: first === undefined
      ? null
      : typeof first["tool_return"] === "string"
      ? first["tool_return"]
      : toolReturnText(first["tool_return"] as ReadonlyArray<Part>),
    status: first?.["status"] ?? null,
    tool_call_id: first?.["tool_call_id"] ?? null,
    stdout: first?.["stdout"] ?? null,
    stderr: first?.["stderr"] ?? null,
    tool_returns: returns
  }
}

/** An approval response's item: a client's return shows its text (parts flattened) and its own status. */
const approvalItem = (item: ApprovalItem): WireObject =>
  item.type === "approval"
    ? { type: "approval", tool_call_id: item.toolCallId, approve: item.approve, reason: item.reason }
    : {
      type: "tool",
      tool_return: typeof item.response === "string" ? item.response : toolReturnText(item.response),
      status: item.status,
      tool_call_id: item.toolCallId,
      stdout: item.stdout,
      stderr: item.stderr
    }

/**
 * `ApprovalResponseMessage` as `to_letta_messages` builds it: no name, sender
 * or step; the deprecated fields come from the first approval decision.
 */
const approvalResponse = (m: MessageRecord): WireObject => {
  const response = m.approvalResponse
  const approvals = response?.approvals ?? []
  const first = approvals.find((a) => a.type === "approval")
  return {
    ...base(m, "approval_response_message", m.otid),
    name: null,
    sender_id: null,
    step_id: null,
    approvals: approvals.map(approvalItem),
    approve: first?.approve ?? null,
    approval_request_id: first?.toolCallId ?? null,
    reason: first?.reason ?? null
  }
}

const userPart = (part: Part): WireObject => {
  if (part.type === "text") return { type: "text", text: part["text"], signature: part["signature"] ?? null }
  return { ...part }
}

/** Expand DB messages in order; `reverse` also flips the parts of each message. */
export const lettaMessagesFrom = (
  messages: ReadonlyArray<MessageRecord>,
  options: { readonly reverse: boolean; readonly include?: ReadonlyArray<string> | null | undefined }
): Array<WireObject> => {
  const out: Array<WireObject> = []
  for (const m of messages) {
    const expanded = lettaMessages(m)
    if (options.reverse) expanded.reverse()
    for (const item of expanded) {
      if (options.include == null || options.include.includes(item["message_type"] as string)) out.push(item)
    }
  }
  return out
}

export const ping = (runId: string | null, now: number): WireObject => ({
  id: Ids.make("ping"),
  date: messageDate(now),
  name: null,
  message_type: "ping",
  otid: null,
  sender_id: null,
  step_id: null,
  is_err: null,
  seq_id: null,
  run_id: runId
})

// ---------------------------------------------------------------------------
// Turn results
// ---------------------------------------------------------------------------

export interface Usage {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly totalTokens: number
  readonly stepCount: number
  readonly contextTokens: number | null
}

export const stopReason = (reason: string): WireObject => ({ message_type: "stop_reason", stop_reason: reason })

export const lettaUsage = (usage: Usage): WireObject => ({
  message_type: "usage_statistics",
  completion_tokens: usage.completionTokens,
  prompt_tokens: usage.promptTokens,
  total_tokens: usage.totalTokens,
  step_count: usage.stepCount,
  run_ids: null,
  cached_input_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  context_tokens: usage.contextTokens
})

/** `GET /v1/runs/{id}/usage` filters `LettaUsageStatistics` through the OpenAI-style model. */
export const openAiUsage = (usage: Usage): WireObject => ({
  completion_tokens: usage.completionTokens,
  prompt_tokens: usage.promptTokens,
  total_tokens: usage.totalTokens,
  prompt_tokens_details: null,
  completion_tokens_details: null
})

export const errorMessage = (
  runId: string | null,
  errorType: string,
  message: string,
  detail: string | null
): WireObject => ({
  message_type: "error_message",
  run_id: runId,
  error_type: errorType,
  message,
  detail,
  seq_id: null
})

// ---------------------------------------------------------------------------
// Runs and steps
// ---------------------------------------------------------------------------

export const run = (r: RunRecord): WireObject => ({
  id: r.id,
  status: r.status,
  created_at: utcDateTime(r.createdAt),
  completed_at: r.completedAt === null ? null : naiveDateTime(r.completedAt),
  agent_id: r.agentId,
  conversation_id: r.conversationId,
  base_template_id: null,
  background: r.background,
  metadata: r.metadata,
  request_config: { ...r.requestConfig },
  stop_reason: r.stopReason,
  callback_url: r.callbackUrl,
  callback_sent_at: r.callbackSentAt === null ? null : naiveDateTime(r.callbackSentAt),
  callback_status_code: r.callbackStatusCode,
  callback_error: r.callbackError,
  ttft_ns: r.ttftNs,
  total_duration_ns: r.totalDurationNs
})

export const step = (s: StepRecord, agent: AgentRecord | undefined): WireObject => ({
  id: s.id,
  origin: null,
  organization_id: Ids.defaultOrgId,
  provider_id: null,
  run_id: s.runId,
  agent_id: s.agentId,
  provider_name: agent?.llm.providerName ?? null,
  provider_category: agent === undefined ? null : "base",
  model: agent?.llm.model ?? null,
  model_handle: agent?.llm.handle ?? null,
  model_endpoint: agent?.llm.endpoint ?? null,
  context_window_limit: agent?.llm.contextWindow ?? null,
  completion_tokens: s.completionTokens,
  prompt_tokens: s.promptTokens,
  total_tokens: s.totalTokens,
  cached_input_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  completion_tokens_details: null,
  prompt_tokens_details: null,
  stop_reason: s.stopReason,
  tags: [],
  tid: null,
  trace_id: null,
  request_id: null,
  messages: [],
  feedback: null,
  project_id: null,
  error_type: s.errorType,
  error_data: s.errorData,
  status: s.status
})

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

/**
 * `Conversation`; `inContext` only where the real endpoint loads it (retrieve),
 * since create and list return the ORM row without its message ids.
 */
export const conversation = (c: ConversationRecord, options: { readonly withContext: boolean }): WireObject => ({
  created_by_id: Ids.defaultUserId,
  last_updated_by_id: Ids.defaultUserId,
  created_at: utcDateTime(c.createdAt),
  updated_at: utcDateTime(c.updatedAt),
  id: c.id,
  agent_id: c.agentId,
  summary: c.summary,
  in_context_message_ids: options.withContext ? [...c.inContext] : [],
  isolated_block_ids: [...c.isolatedBlockIds],
  model: c.model,
  model_settings: c.modelSettings,
  last_message_at: c.lastMessageAt === null ? null : utcDateTime(c.lastMessageAt)
})

// ---------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------

const block = (b: BlockRecord): WireObject => ({
  value: b.value,
  limit: b.limit,
  project_id: null,
  template_name: null,
  is_template: false,
  template_id: null,
  base_template_id: null,
  deployment_id: null,
  entity_id: null,
  preserve_on_migration: false,
  label: b.label,
  read_only: b.readOnly,
  description: b.description,
  metadata: b.metadata,
  hidden: null,
  id: b.id,
  created_by_id: Ids.defaultUserId,
  last_updated_by_id: Ids.defaultUserId,
  tags: b.tags
})

const fileDefaults = (contextWindow: number): [number, number] =>
  contextWindow <= 8_000
    ? [3, 5_000]
    : contextWindow <= 32_000
    ? [5, 15_000]
    : contextWindow <= 128_000
    ? [10, 25_000]
    : contextWindow <= 200_000
    ? [10, 40_000]
    : [15, 40_000]

/** Which relationships `AgentState` carries (the real server loads them on request). */
export interface AgentRelationships {
  readonly memory: boolean
  readonly tools: boolean
  readonly sources: boolean
  readonly tags: boolean
}

const allRelationships: AgentRelationships = { memory: true, tools: true, sources: true, tags: true }

export const agentState = (a: AgentRecord, rel: AgentRelationships = allRelationships): WireObject => {
  const [maxFilesOpen, perFileLimit] = fileDefaults(a.llm.contextWindow)
  const blocks = rel.memory ? a.blocks.map(block) : []
  return {
    created_by_id: Ids.defaultUserId,
    last_updated_by_id: Ids.defaultUserId,
    created_at: utcDateTime(a.createdAt),
    updated_at: utcDateTime(a.updatedAt),
    id: a.id,
    name: a.name,
    // The approval tool's rule; the tool itself is not listed (agents here have no tool records).
    tool_rules: [{ tool_name: approvalTool.name, type: "requires_approval", prompt_template: null }],
    message_ids: [...a.inContext],
    system: a.system,
    agent_type: a.agentType,
    llm_config: {
      model: a.llm.model,
      display_name: a.llm.model,
      model_endpoint_type: a.llm.endpointType,
      model_endpoint: a.llm.endpoint,
      provider_name: a.llm.providerName,
      provider_category: "base",
      model_wrapper: null,
      context_window: a.llm.contextWindow,
      put_inner_thoughts_in_kwargs: false,
      handle: a.llm.handle,
      temperature: new PyFloat(0.7),
      max_tokens: 4096,
      enable_reasoner: true,
      reasoning_effort: null,
      max_reasoning_tokens: 0,
      effort: null,
      frequency_penalty: null,
      compatibility_type: null,
      verbosity: null,
      tier: null,
      parallel_tool_calls: a.llm.parallelToolCalls,
      response_format: null,
      strict: false,
      return_logprobs: false,
      top_logprobs: null,
      return_token_ids: false,
      tool_call_parser: null
    },
    embedding_config: a.embedding === null ? null : {
      embedding_endpoint_type: a.embedding.endpointType,
      embedding_endpoint: a.embedding.endpoint,
      embedding_model: a.embedding.model,
      embedding_dim: a.embedding.dim,
      embedding_chunk_size: 300,
      handle: a.embedding.handle,
      batch_size: 32,
      azure_endpoint: null,
      azure_version: null,
      azure_deployment: null
    },
    model: a.llm.handle,
    embedding: a.embedding?.handle ?? null,
    model_settings: null,
    compaction_settings: null,
    response_format: null,
    description: a.description,
    metadata: a.metadata,
    memory: { agent_type: a.agentType, git_enabled: false, blocks, file_blocks: [], prompt_template: "" },
    blocks,
    tools: [],
    sources: [],
    tags: rel.tags || rel.memory ? [...a.tags] : [],
    tool_exec_environment_variables: [],
    secrets: [],
    project_id: null,
    template_id: null,
    base_template_id: null,
    deployment_id: null,
    entity_id: null,
    identity_ids: [],
    identities: [],
    pending_approval: null,
    message_buffer_autoclear: false,
    enable_sleeptime: null,
    multi_agent_group: null,
    managed_group: null,
    last_run_completion: a.lastRunCompletion === null ? null : utcDateTime(a.lastRunCompletion),
    last_run_duration_ms: a.lastRunDurationMs,
    last_stop_reason: a.lastStopReason,
    timezone: a.timezone,
    max_files_open: maxFilesOpen,
    per_file_view_window_char_limit: perFileLimit,
    hidden: null
  }
}
