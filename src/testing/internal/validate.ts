/**
 * The request models of the endpoints the test server implements, mirroring
 * `letta/schemas/letta_request.py`, `message.py`, `letta_message.py`,
 * `letta_message_content.py` and the router signatures.
 */
import { randomUUID } from "node:crypto"
import * as Errors from "./errors.js"
import * as P from "./pydantic.js"
import type { Part } from "./store.js"

const enumRepr = (enumName: string) => (value: string) => `<${enumName}.${value}: '${value}'>`

const enumLiteral = (enumName: string, value: string) => P.literal([value], [enumRepr(enumName)(value)])

const contentType = (value: string) => P.withDefault(enumLiteral("MessageContentType", value), value)
const optionalStr = P.withDefault(P.optional(P.str), null)

// ---------------------------------------------------------------------------
// Content parts
// ---------------------------------------------------------------------------

const imageSource = P.tagged("type", {
  url: P.model({ type: P.withDefault(enumLiteral("ImageSourceType", "url"), "url"), url: P.required(P.str) }),
  base64: P.model({
    type: P.withDefault(enumLiteral("ImageSourceType", "base64"), "base64"),
    media_type: P.required(P.str),
    data: P.required(P.str),
    detail: optionalStr
  }),
  letta: P.model({
    type: P.withDefault(enumLiteral("ImageSourceType", "letta"), "letta"),
    file_id: P.required(P.str),
    media_type: optionalStr,
    data: optionalStr,
    detail: optionalStr
  })
}, enumRepr("ImageSourceType"))

const textContent = P.model({ type: contentType("text"), text: P.required(P.str), signature: optionalStr })
const imageContent = P.model({ type: contentType("image"), source: P.required(imageSource) })

const contentMembers = {
  text: textContent,
  image: imageContent,
  tool_call: P.model({
    type: contentType("tool_call"),
    id: P.required(P.str),
    name: P.required(P.str),
    input: P.required(P.dict),
    signature: optionalStr
  }),
  tool_return: P.model({
    type: contentType("tool_return"),
    tool_call_id: P.required(P.str),
    content: P.required(P.str),
    is_error: P.required(P.bool)
  }),
  reasoning: P.model({
    type: contentType("reasoning"),
    is_native: P.required(P.bool),
    reasoning: P.required(P.str),
    signature: optionalStr
  }),
  redacted_reasoning: P.model({ type: contentType("redacted_reasoning"), data: P.required(P.str) }),
  omitted_reasoning: P.model({ type: contentType("omitted_reasoning"), signature: optionalStr }),
  summarized_reasoning: P.model({
    type: contentType("summarized_reasoning"),
    id: P.required(P.str),
    summary: P.required(P.list(P.model({ index: P.required(P.int), text: P.required(P.str) }))),
    encrypted_content: P.withDefault(P.str, null)
  })
}

const contentUnion = P.tagged("type", contentMembers, enumRepr("MessageContentType"))
const contentListLabel = `list[tagged-union[${
  [
    "TextContent",
    "ImageContent",
    "ToolCallContent",
    "ToolReturnContent",
    "ReasoningContent",
    "RedactedReasoningContent",
    "OmittedReasoningContent",
    "SummarizedReasoningContent"
  ].join(",")
}]]`

/** `Union[str, List[LettaMessageContentUnion]]` */
const messageContent = P.union([["str", P.str], [contentListLabel, P.list(contentUnion)]])

const toolReturnContent = P.union([
  ["str", P.str],
  [
    "list[tagged-union[TextContent,ImageContent]]",
    P.list(P.tagged("type", { text: textContent, image: imageContent }, enumRepr("MessageContentType")))
  ]
])

// ---------------------------------------------------------------------------
// Input messages
// ---------------------------------------------------------------------------

const generatedOtid = (value: Record<string, unknown>) => {
  // MessageCreateBase.generate_otid_if_missing
  if (value["otid"] === null) value["otid"] = randomUUID()
  return undefined
}

const messageCreate = P.model({
  type: P.withDefault(P.optional(enumLiteral("MessageCreateType", "message")), "message"),
  otid: optionalStr,
  group_id: optionalStr,
  role: P.required(
    P.literal(["user", "system", "assistant"], [
      "<MessageRole.user: 'user'>",
      "<MessageRole.system: 'system'>",
      "<MessageRole.assistant: 'assistant'>"
    ])
  ),
  content: P.required(messageContent),
  name: optionalStr,
  sender_id: optionalStr,
  batch_item_id: optionalStr
}, generatedOtid)

const toolReturn = P.model({
  type: P.withDefault(enumLiteral("MessageReturnType", "tool"), "tool"),
  tool_return: P.required(toolReturnContent),
  status: P.required(P.literal(["success", "error"])),
  tool_call_id: P.required(P.str),
  stdout: P.withDefault(P.optional(P.list(P.str)), null),
  stderr: P.withDefault(P.optional(P.list(P.str)), null)
})

const approvalReturn = P.model({
  type: P.withDefault(enumLiteral("MessageReturnType", "approval"), "approval"),
  tool_call_id: P.required(P.str),
  approve: P.required(P.bool),
  reason: optionalStr
})

/** `ApprovalCreate.migrate_deprecated_fields`: the single-call form becomes one `approvals` item. */
const migrateDeprecatedFields = (value: Record<string, unknown>) => {
  const approvals = value["approvals"] as ReadonlyArray<unknown> | null
  if ((approvals === null || approvals.length === 0) && value["approve"] !== null && value["approval_request_id"] !== null) {
    value["approvals"] = [{
      type: "approval",
      tool_call_id: value["approval_request_id"],
      approve: value["approve"],
      reason: value["reason"]
    }]
  }
  return undefined
}

const approvalCreate = P.model({
  type: P.withDefault(enumLiteral("MessageCreateType", "approval"), "approval"),
  otid: optionalStr,
  group_id: optionalStr,
  approvals: P.withDefault(
    P.optional(P.list(P.tagged("type", { approval: approvalReturn, tool: toolReturn }, enumRepr("MessageReturnType")))),
    null
  ),
  approve: P.withDefault(P.optional(P.bool), null),
  approval_request_id: optionalStr,
  reason: optionalStr
}, (value) => generatedOtid(value) ?? migrateDeprecatedFields(value))

const toolReturnCreate = P.model({
  type: P.withDefault(enumLiteral("MessageCreateType", "tool_return"), "tool_return"),
  otid: optionalStr,
  group_id: optionalStr,
  tool_returns: P.required(P.list(toolReturn))
}, generatedOtid)

// pydantic labels union members that have model validators after those validators.
const messageCreateUnion = P.union([
  ["function-after[generate_otid_if_missing(), MessageCreate]", messageCreate],
  ["function-after[migrate_deprecated_fields(), function-after[generate_otid_if_missing(), ApprovalCreate]]", approvalCreate],
  ["function-after[generate_otid_if_missing(), ToolReturnCreate]", toolReturnCreate]
])

/** LettaRequest.add_default_type_to_messages: infers `type` only when it is missing (mutates, like the real one). */
const inferMessageTypes = (messages: unknown) => {
  if (!Array.isArray(messages)) return
  for (const item of messages) {
    if (P.isObject(item) && !("type" in item)) {
      item["type"] = "approval_request_id" in item || "approve" in item ? "approval" : "message"
    }
  }
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

export const messageTypes = [
  "system_message",
  "user_message",
  "assistant_message",
  "reasoning_message",
  "hidden_reasoning_message",
  "tool_call_message",
  "tool_return_message",
  "approval_request_message",
  "approval_response_message",
  "summary_message",
  "event_message"
] as const

export const stopReasons = [
  "end_turn",
  "error",
  "llm_api_error",
  "invalid_llm_response",
  "invalid_tool_call",
  "max_steps",
  "max_tokens_exceeded",
  "no_tool_call",
  "tool_rule",
  "cancelled",
  "insufficient_credits",
  "requires_approval",
  "context_window_overflow_in_system_prompt"
] as const

const lettaRequestFields = {
  messages: P.withDefault(P.optional(P.list(messageCreateUnion)), null),
  input: P.withDefault(P.optional(messageContent), null),
  max_steps: P.withDefault(P.int, 50),
  use_assistant_message: P.withDefault(P.bool, true),
  assistant_message_tool_name: P.withDefault(P.str, "send_message"),
  assistant_message_tool_kwarg: P.withDefault(P.str, "message"),
  include_return_message_types: P.withDefault(P.optional(P.list(P.enumeration(messageTypes))), null),
  // Declared `str` with a `True` default in the real model, so an explicit boolean is rejected.
  enable_thinking: P.withDefault(P.str, true),
  client_tools: P.withDefault(
    P.optional(P.list(P.model({
      name: P.required(P.str),
      description: optionalStr,
      parameters: P.withDefault(P.optional(P.dict), null)
    }))),
    null
  ),
  client_skills: P.withDefault(
    P.optional(P.list(P.model({
      name: P.required(P.str),
      description: P.required(P.str),
      location: P.required(P.str)
    }))),
    null
  ),
  override_model: optionalStr,
  include_compaction_messages: P.withDefault(P.bool, false),
  return_logprobs: P.withDefault(P.bool, false),
  top_logprobs: P.withDefault(P.optional(P.int), null),
  return_token_ids: P.withDefault(P.bool, false),
  override_system: P.withAliases(P.optional(P.str), ["override_system", "system"], null)
}

const inputOrMessages = (value: Record<string, unknown>) => {
  if (value["input"] !== null && value["messages"] !== null) {
    return "Cannot specify both 'input' and 'messages'. Use one or the other."
  }
  if (value["input"] === null && value["messages"] === null) return "Must specify either 'input' or 'messages'."
  if (value["input"] !== null) {
    value["messages"] = [{
      type: "message",
      otid: randomUUID(),
      group_id: null,
      role: "user",
      content: value["input"],
      name: null,
      sender_id: null,
      batch_item_id: null
    }]
  }
  return undefined
}

const streamingRequest = P.model({
  ...lettaRequestFields,
  streaming: P.withDefault(P.bool, false),
  stream_tokens: P.withDefault(P.bool, false),
  include_pings: P.withDefault(P.bool, true),
  background: P.withDefault(P.bool, false)
}, inputOrMessages)

const asyncRequest = P.model({ ...lettaRequestFields, callback_url: optionalStr }, inputOrMessages)

const conversationRequest = P.model({
  ...lettaRequestFields,
  agent_id: optionalStr,
  // The conversations endpoint streams unless told otherwise.
  streaming: P.withDefault(P.bool, true),
  stream_tokens: P.withDefault(P.bool, false),
  include_pings: P.withDefault(P.bool, true),
  background: P.withDefault(P.bool, false)
}, inputOrMessages)

export type InputMessage =
  | {
    readonly type: "message"
    readonly role: "user" | "system" | "assistant"
    readonly content: string | ReadonlyArray<Part>
    readonly otid: string
    readonly name: string | null
    readonly sender_id: string | null
    readonly group_id: string | null
  }
  | {
    readonly type: "approval"
    readonly otid: string
    readonly group_id: string | null
    readonly approvals: ReadonlyArray<ReturnInput> | null
    readonly approve: boolean | null
    readonly approval_request_id: string | null
    readonly reason: string | null
  }
  | {
    readonly type: "tool_return"
    readonly otid: string
    readonly group_id: string | null
    readonly tool_returns: ReadonlyArray<Extract<ReturnInput, { type: "tool" }>>
  }

/** An `approvals[]` item: `ApprovalReturn` or a client's `ToolReturn`. */
export type ReturnInput =
  | { readonly type: "approval"; readonly tool_call_id: string; readonly approve: boolean; readonly reason: string | null }
  | {
    readonly type: "tool"
    readonly tool_return: string | ReadonlyArray<Part>
    readonly status: "success" | "error"
    readonly tool_call_id: string
    readonly stdout: ReadonlyArray<string> | null
    readonly stderr: ReadonlyArray<string> | null
  }

/** `ClientToolSchema`: a tool the client runs itself. */
export interface ClientTool {
  readonly name: string
  readonly description: string | null
  readonly parameters: Record<string, unknown> | null
}

export interface SendRequest {
  readonly messages: ReadonlyArray<InputMessage>
  readonly use_assistant_message: boolean
  readonly assistant_message_tool_name: string
  readonly assistant_message_tool_kwarg: string
  readonly include_return_message_types: ReadonlyArray<string> | null
  readonly client_tools: ReadonlyArray<ClientTool> | null
  readonly streaming: boolean
  readonly stream_tokens: boolean
  readonly include_pings: boolean
  readonly background: boolean
  readonly callback_url: string | null
  /** `ConversationMessageRequest.agent_id` (agent-direct mode with `default`) */
  readonly agent_id: string | null
}

const asSend = (value: Record<string, unknown>): SendRequest => ({
  messages: value["messages"] as ReadonlyArray<InputMessage>,
  use_assistant_message: value["use_assistant_message"] as boolean,
  assistant_message_tool_name: value["assistant_message_tool_name"] as string,
  assistant_message_tool_kwarg: value["assistant_message_tool_kwarg"] as string,
  include_return_message_types: value["include_return_message_types"] as ReadonlyArray<string> | null,
  client_tools: value["client_tools"] as ReadonlyArray<ClientTool> | null,
  streaming: (value["streaming"] as boolean | undefined) ?? false,
  stream_tokens: (value["stream_tokens"] as boolean | undefined) ?? false,
  include_pings: (value["include_pings"] as boolean | undefined) ?? true,
  background: (value["background"] as boolean | undefined) ?? false,
  callback_url: (value["callback_url"] as string | null | undefined) ?? null,
  agent_id: (value["agent_id"] as string | null | undefined) ?? null
})

const sendWith = (validator: P.Validator<Record<string, unknown>>) => (body: unknown): P.Result<SendRequest> => {
  if (P.isObject(body)) inferMessageTypes(body["messages"])
  const r = validator(body, ["body"])
  return r.ok ? P.ok(asSend(r.value)) : r
}

/** `LettaStreamingRequest` (POST /v1/agents/{id}/messages and /messages/stream) */
export const streamingSendRequest = sendWith(streamingRequest)

/** `LettaAsyncRequest` (POST /v1/agents/{id}/messages/async) */
export const asyncSendRequest = sendWith(asyncRequest)

/** `ConversationMessageRequest` (POST /v1/conversations/{id}/messages) */
export const conversationSendRequest = sendWith(conversationRequest)

/**
 * `CreateConversation`. `model_settings` is taken as any object (the real
 * model validates it against the provider settings union); the `model` handle
 * check raises a LettaInvalidArgumentError, which the route reports as a 400.
 */
export const createConversationRequest = (body: unknown): P.Result<Record<string, unknown>> =>
  P.model({
    summary: optionalStr,
    isolated_block_labels: P.withDefault(P.optional(P.list(P.str)), null),
    model: optionalStr,
    model_settings: P.withDefault(P.optional(P.dict), null)
  })(body, ["body"])

// ---------------------------------------------------------------------------
// Agents
// ---------------------------------------------------------------------------

const agentTypes = [
  "memgpt_agent",
  "memgpt_v2_agent",
  "letta_v1_agent",
  "react_agent",
  "workflow_agent",
  "split_thread_agent",
  "sleeptime_agent",
  "voice_convo_agent",
  "voice_sleeptime_agent"
] as const

const createBlock = P.model({
  // BaseBlock.sanitize_value_null_bytes
  value: P.required((input, loc) => P.str(typeof input === "string" ? input.replace(/\x00/g, "") : input, loc)),
  limit: P.withDefault(P.int, 100000),
  project_id: optionalStr,
  template_name: optionalStr,
  is_template: P.withDefault(P.bool, false),
  template_id: optionalStr,
  base_template_id: optionalStr,
  deployment_id: optionalStr,
  entity_id: optionalStr,
  preserve_on_migration: P.withDefault(P.optional(P.bool), false),
  label: P.required(P.str),
  read_only: P.withDefault(P.bool, false),
  description: optionalStr,
  metadata: P.withDefault(P.optional(P.dict), {}),
  hidden: P.withDefault(P.optional(P.bool), null),
  tags: P.withDefault(P.optional(P.list(P.str)), null)
})

const handle = (kind: string) =>
  P.refine(P.optional(P.str), (value) => {
    if (!value) return undefined
    const [provider, ...rest] = value.split("/")
    return value.includes("/") && provider && rest.join("/") ? undefined : `The ${kind} handle should be in the format provider/model-name`
  })

/** An `Annotated[str, Path(pattern=..., min_length=..., max_length=...)]` id such as `ToolId`. */
const primitiveId = (prefix: string): P.Validator<string> => (input, loc) => {
  const r = P.str(input, loc)
  if (!r.ok) return r
  const error = Errors.pathIdError("", prefix, r.value)
  return error === undefined ? r : P.fail({ ...error, loc })
}

// CreateBlock.ensure_value_is_string turns a missing or null value into "" (for non-empty dicts).
const blockValuesToString = (blocks: unknown) => {
  if (!Array.isArray(blocks)) return
  for (const block of blocks) {
    if (P.isObject(block) && Object.keys(block).length > 0 && (block["value"] === undefined || block["value"] === null)) {
      block["value"] = ""
    }
  }
}

/** The part of `CreateAgentRequest` the test server reads; other fields are accepted and ignored. */
export const createAgentRequest = (body: unknown): P.Result<Record<string, unknown>> => {
  if (P.isObject(body)) blockValuesToString(body["memory_blocks"])
  return createAgent(body, ["body"])
}

const createAgent = P.model({
    name: { validator: P.str, default: () => null },
    memory_blocks: P.withDefault(P.optional(P.list(createBlock)), null),
    tools: P.withDefault(P.optional(P.list(P.str)), null),
    tool_ids: P.withDefault(P.optional(P.list(primitiveId("tool"))), null),
    tags: P.withDefault(P.optional(P.list(P.str)), null),
    system: optionalStr,
    agent_type: P.withDefault(P.enumeration(agentTypes), "letta_v1_agent"),
    include_base_tools: P.withDefault(P.bool, true),
    description: optionalStr,
    metadata: P.withDefault(P.optional(P.dict), null),
    // A model handle without "/" raises LettaInvalidArgumentError (a 400), checked by the router.
    model: optionalStr,
    embedding: P.withDefault(handle("embedding"), null),
    context_window_limit: P.withDefault(P.optional(P.int), null),
    // Deprecated in favour of `model_settings`, but still copied onto the llm_config last.
    parallel_tool_calls: P.withDefault(P.optional(P.bool), null),
    // Only its `parallel_tool_calls` is read (the real model validates it per provider).
    model_settings: P.withDefault(P.optional(P.dict), null),
    timezone: optionalStr,
    hidden: P.withDefault(P.optional(P.bool), null)
  })

export const resetMessagesRequest = (body: unknown): P.Result<Record<string, unknown>> =>
  P.model({ add_default_initial_messages: P.withDefault(P.bool, false) })(body, ["body"])

export const cancelRequest = (body: unknown): P.Result<Record<string, unknown>> =>
  P.model({ run_ids: P.withDefault(P.optional(P.list(P.str)), null) })(body, ["body"])

export const compactionRequest = (body: unknown): P.Result<Record<string, unknown>> =>
  P.model({
    compaction_settings: P.withDefault(
      P.optional(P.model({
        model: optionalStr,
        model_settings: P.withDefault(P.optional(P.dict), null),
        prompt: optionalStr,
        prompt_acknowledgement: P.withDefault(P.bool, false),
        clip_chars: P.withDefault(P.optional(P.int), 50000),
        mode: P.withDefault(
          P.literal(["all", "sliding_window", "self_compact_all", "self_compact_sliding_window"]),
          "sliding_window"
        ),
        // summarizer_settings.partial_evict_summarizer_percentage
        sliding_window_percentage: P.withDefault(P.float, 0.3)
      })),
      null
    )
  })(body, ["body"])
