/**
 * The messages an agent's history and streams are made of: the 11 `LettaMessage` types,
 * the stream-only events (ping, error, stop reason, usage) and a typed fallback for
 * message types newer than this client.
 *
 * Every message carries `message_type` as its discriminator. The spec marks it optional
 * with a default, but the server always sends it and a union cannot be told
 * apart without it, so decoding requires it.
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"
import { JsonObject, LettaDate, nullable, openLiteral, withDefault } from "../internal/schemaFields.js"
import { LettaAssistantMessageContentUnion, LettaUserMessageContentUnion } from "./content.js"
import { ApprovalItem, ToolCall, ToolCallDelta, ToolReturn } from "./tools.js"

/**
 * Why an agent stopped.
 *
 * @since 0.1.0
 * @category enums
 */
export const StopReasonType = Schema.Literal(
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
).annotations({ identifier: "StopReasonType" })

/**
 * @since 0.1.0
 * @category enums
 */
export type StopReasonType = typeof StopReasonType.Type

/**
 * The `message_type` of each of the 11 history message types.
 *
 * @since 0.1.0
 * @category enums
 */
export const MessageType = Schema.Literal(
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
).annotations({ identifier: "MessageType" })

/**
 * @since 0.1.0
 * @category enums
 */
export type MessageType = typeof MessageType.Type

/**
 * The role of a stored message.
 *
 * @since 0.1.0
 * @category enums
 */
export const MessageRole = Schema.Literal("assistant", "user", "tool", "function", "system", "approval", "summary")
  .annotations({ identifier: "MessageRole" })

/**
 * @since 0.1.0
 * @category enums
 */
export type MessageRole = typeof MessageRole.Type

/**
 * Fields every `LettaMessage` (and `LettaPing`) carries. Several messages produced by one
 * model response share `id`; `otid` tells their parts apart.
 */
const messageFields = {
  id: Schema.String,
  date: LettaDate,
  name: nullable(Schema.String),
  otid: nullable(Schema.String),
  sender_id: nullable(Schema.String),
  step_id: nullable(Schema.String),
  is_err: nullable(Schema.Boolean),
  seq_id: nullable(Schema.Int),
  run_id: nullable(Schema.String)
}

/**
 * The agent's system prompt.
 *
 * @since 0.1.0
 * @category messages
 */
export const SystemMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("system_message"),
  content: Schema.String
}).annotations({ identifier: "SystemMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface SystemMessage extends Schema.Schema.Type<typeof SystemMessage> {}

/**
 * A message from the user.
 *
 * @since 0.1.0
 * @category messages
 */
export const UserMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("user_message"),
  content: Schema.Union(Schema.String, Schema.Array(LettaUserMessageContentUnion))
}).annotations({ identifier: "UserMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface UserMessage extends Schema.Schema.Type<typeof UserMessage> {}

/**
 * The model's reasoning. In a token stream `reasoning` is a delta to append.
 *
 * @since 0.1.0
 * @category messages
 */
export const ReasoningMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("reasoning_message"),
  source: withDefault(openLiteral(Schema.Literal("reasoner_model", "non_reasoner_model")), "non_reasoner_model"),
  reasoning: Schema.String,
  signature: nullable(Schema.String)
}).annotations({ identifier: "ReasoningMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface ReasoningMessage extends Schema.Schema.Type<typeof ReasoningMessage> {}

/**
 * Reasoning the provider redacted or omitted.
 *
 * @since 0.1.0
 * @category messages
 */
export const HiddenReasoningMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("hidden_reasoning_message"),
  state: openLiteral(Schema.Literal("redacted", "omitted")),
  hidden_reasoning: nullable(Schema.String)
}).annotations({ identifier: "HiddenReasoningMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface HiddenReasoningMessage extends Schema.Schema.Type<typeof HiddenReasoningMessage> {}

/**
 * `tool_call` (deprecated, still required) and `tool_calls` hold the same call. In a token
 * stream both are one delta object; in a step stream or in history `tool_calls` is an array
 * of complete calls.
 */
const toolCallFields = {
  tool_call: Schema.Union(ToolCall, ToolCallDelta),
  tool_calls: nullable(Schema.Union(Schema.Array(ToolCall), ToolCallDelta))
}

/**
 * The agent calling a tool.
 *
 * @since 0.1.0
 * @category messages
 */
export const ToolCallMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("tool_call_message"),
  ...toolCallFields
}).annotations({ identifier: "ToolCallMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface ToolCallMessage extends Schema.Schema.Type<typeof ToolCallMessage> {}

/**
 * A tool's result. The top-level `tool_return` / `status` / `tool_call_id` are deprecated
 * in favour of `tool_returns`, but the server still sends them.
 *
 * @since 0.1.0
 * @category messages
 */
export const ToolReturnMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("tool_return_message"),
  tool_return: Schema.String,
  status: Schema.Literal("success", "error"),
  tool_call_id: Schema.String,
  stdout: nullable(Schema.Array(Schema.String)),
  stderr: nullable(Schema.Array(Schema.String)),
  tool_returns: nullable(Schema.Array(ToolReturn))
}).annotations({ identifier: "ToolReturnMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface ToolReturnMessage extends Schema.Schema.Type<typeof ToolReturnMessage> {}

/**
 * The agent's reply. In a token stream `content` is a string delta to append.
 *
 * @since 0.1.0
 * @category messages
 */
export const AssistantMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("assistant_message"),
  content: Schema.Union(Schema.String, Schema.Array(LettaAssistantMessageContentUnion))
}).annotations({ identifier: "AssistantMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface AssistantMessage extends Schema.Schema.Type<typeof AssistantMessage> {}

/**
 * The agent asking to call a tool that needs approval, or a client-side tool.
 *
 * @since 0.1.0
 * @category messages
 */
export const ApprovalRequestMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("approval_request_message"),
  ...toolCallFields
}).annotations({ identifier: "ApprovalRequestMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface ApprovalRequestMessage extends Schema.Schema.Type<typeof ApprovalRequestMessage> {}

/**
 * The approvals (and client tool returns) that answered an approval request.
 *
 * @since 0.1.0
 * @category messages
 */
export const ApprovalResponseMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("approval_response_message"),
  approvals: nullable(Schema.Array(ApprovalItem)),
  approve: nullable(Schema.Boolean),
  approval_request_id: nullable(Schema.String),
  reason: nullable(Schema.String)
}).annotations({ identifier: "ApprovalResponseMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface ApprovalResponseMessage extends Schema.Schema.Type<typeof ApprovalResponseMessage> {}

/**
 * Figures about one compaction of the context window.
 *
 * @since 0.1.0
 * @category messages
 */
export const CompactionStats = Schema.Struct({
  trigger: Schema.String,
  context_tokens_before: nullable(Schema.Int),
  context_tokens_after: nullable(Schema.Int),
  context_window: Schema.Int,
  messages_count_before: Schema.Int,
  messages_count_after: Schema.Int
}).annotations({ identifier: "CompactionStats" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface CompactionStats extends Schema.Schema.Type<typeof CompactionStats> {}

/**
 * The summary that replaced older messages after a compaction.
 *
 * @since 0.1.0
 * @category messages
 */
export const SummaryMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("summary_message"),
  summary: Schema.String,
  compaction_stats: nullable(CompactionStats)
}).annotations({ identifier: "SummaryMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface SummaryMessage extends Schema.Schema.Type<typeof SummaryMessage> {}

/**
 * A system event in the history (currently only compactions).
 *
 * @since 0.1.0
 * @category messages
 */
export const EventMessage = Schema.Struct({
  ...messageFields,
  message_type: Schema.Literal("event_message"),
  event_type: openLiteral(Schema.Literal("compaction")),
  event_data: JsonObject
}).annotations({ identifier: "EventMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface EventMessage extends Schema.Schema.Type<typeof EventMessage> {}

/**
 * A keep-alive event. The first ping of a stream carries the `run_id`; in background mode
 * pings carry `seq_id` too. Unlike other messages, `id` and `date` may be missing.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaPing = Schema.Struct({
  ...messageFields,
  // Letta's own CLI tests with bare `{"message_type":"ping"}` frames; a ping is only read for
  // its run_id and seq_id, so a missing id or date must not fail a stream.
  id: Schema.optional(Schema.String),
  date: Schema.optional(LettaDate),
  message_type: Schema.Literal("ping")
}).annotations({ identifier: "LettaPing" })

/**
 * @since 0.1.0
 * @category stream events
 */
export interface LettaPing extends Schema.Schema.Type<typeof LettaPing> {}

/**
 * An error reported inside a stream (`event: error`). The server writes `detail` and
 * `seq_id` as `null` when it has none, and `run_id` as `null` before a run exists, although
 * the spec types them as plain values.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaErrorMessage = Schema.Struct({
  message_type: Schema.Literal("error_message"),
  run_id: Schema.NullOr(Schema.String),
  error_type: Schema.String,
  message: Schema.String,
  detail: nullable(Schema.String),
  seq_id: nullable(Schema.Int)
}).annotations({ identifier: "LettaErrorMessage" })

/**
 * @since 0.1.0
 * @category stream events
 */
export interface LettaErrorMessage extends Schema.Schema.Type<typeof LettaErrorMessage> {}

/**
 * Why the agent stopped. More than one can arrive in a stream; the last one wins.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaStopReason = Schema.Struct({
  message_type: Schema.Literal("stop_reason"),
  stop_reason: openLiteral(StopReasonType)
}).annotations({ identifier: "LettaStopReason" })

/**
 * @since 0.1.0
 * @category stream events
 */
export interface LettaStopReason extends Schema.Schema.Type<typeof LettaStopReason> {}

/**
 * Token usage of one agent turn.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaUsageStatistics = Schema.Struct({
  message_type: Schema.Literal("usage_statistics"),
  completion_tokens: withDefault(Schema.Int, 0),
  prompt_tokens: withDefault(Schema.Int, 0),
  total_tokens: withDefault(Schema.Int, 0),
  step_count: withDefault(Schema.Int, 0),
  run_ids: nullable(Schema.Array(Schema.String)),
  cached_input_tokens: nullable(Schema.Int),
  cache_write_tokens: nullable(Schema.Int),
  reasoning_tokens: nullable(Schema.Int),
  context_tokens: nullable(Schema.Int)
}).annotations({ identifier: "LettaUsageStatistics" })

/**
 * @since 0.1.0
 * @category stream events
 */
export interface LettaUsageStatistics extends Schema.Schema.Type<typeof LettaUsageStatistics> {}

/**
 * Every `message_type` this client knows, history and stream-only alike.
 *
 * @since 0.1.0
 * @category enums
 */
export const knownMessageTypes: ReadonlySet<string> = new Set<string>([
  ...MessageType.literals,
  "ping",
  "error_message",
  "stop_reason",
  "usage_statistics"
])

const isUnknownMessageType = (messageType: string) => !knownMessageTypes.has(messageType)
const unknownMessageType = Schema.String.pipe(
  Schema.filter(isUnknownMessageType, { message: () => "a message_type this client does not know" })
)

/**
 * A message whose `message_type` this client does not know (for example one added by a newer
 * server, or Letta Cloud's `response_state`). It is kept, not dropped, so nothing is lost:
 * `received_message_type` is the type the server sent and `payload` holds its other fields.
 * `message_type` is `"unknown_message"` so a `switch` on `message_type` narrows every known
 * type exactly.
 *
 * @since 0.1.0
 * @category messages
 */
export const UnknownMessage = Schema.Struct({
  message_type: Schema.Literal("unknown_message"),
  received_message_type: unknownMessageType,
  payload: JsonObject.pipe(Schema.filter((payload) => !Object.hasOwn(payload, "message_type")))
}).annotations({ identifier: "UnknownMessage" })

/**
 * @since 0.1.0
 * @category messages
 */
export interface UnknownMessage extends Schema.Schema.Type<typeof UnknownMessage> {}

const UnknownMessageWire = Schema.Struct(
  { message_type: unknownMessageType },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * Reads any JSON object whose `message_type` is not a known one as an {@link UnknownMessage},
 * and writes it back exactly as received.
 *
 * @since 0.1.0
 * @category messages
 */
export const UnknownMessageFromWire: Schema.Schema<UnknownMessage, typeof UnknownMessageWire.Encoded> = Schema
  .transformOrFail(UnknownMessageWire, UnknownMessage, {
    strict: true,
    decode: ({ message_type, ...payload }) =>
      ParseResult.succeed({ message_type: "unknown_message" as const, received_message_type: message_type, payload }),
    encode: ({ payload, received_message_type }) =>
      ParseResult.succeed({ ...payload, message_type: received_message_type })
  }).annotations({ identifier: "UnknownMessageFromWire" })

// The spec's streaming union holds these nine history types, but not the compaction
// messages below, although the server streams those too (PROTOCOL.md §8).
const streamedMessageTypes = [
  SystemMessage,
  UserMessage,
  ReasoningMessage,
  HiddenReasoningMessage,
  ToolCallMessage,
  ToolReturnMessage,
  AssistantMessage,
  ApprovalRequestMessage,
  ApprovalResponseMessage
] as const

/**
 * The 11 message types of an agent's history, discriminated by `message_type`.
 *
 * @since 0.1.0
 * @category messages
 */
export const LettaMessageUnion = Schema.Union(...streamedMessageTypes, SummaryMessage, EventMessage).annotations({
  identifier: "LettaMessageUnion"
})

/**
 * @since 0.1.0
 * @category messages
 */
export type LettaMessageUnion = typeof LettaMessageUnion.Type

/**
 * A message as the client returns it from history listings and responses: one of the 11
 * known types, or an {@link UnknownMessage} from a newer server.
 *
 * @since 0.1.0
 * @category messages
 */
export const LettaMessage = Schema.Union(...LettaMessageUnion.members, UnknownMessageFromWire).annotations({
  identifier: "LettaMessage"
})

/**
 * @since 0.1.0
 * @category messages
 */
export type LettaMessage = typeof LettaMessage.Type

/**
 * The spec's streaming union: 9 message types plus ping, error, stop reason and usage. It
 * leaves out `summary_message` and `event_message`, which the server does stream; use
 * {@link LettaStreamingMessage} to read streams.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaStreamingResponse = Schema.Union(
  ...streamedMessageTypes,
  LettaPing,
  LettaErrorMessage,
  LettaStopReason,
  LettaUsageStatistics
).annotations({ identifier: "LettaStreamingResponse" })

/**
 * @since 0.1.0
 * @category stream events
 */
export type LettaStreamingResponse = typeof LettaStreamingResponse.Type

/**
 * Everything a stream can carry: the 11 message types, `ping`, `error_message`,
 * `stop_reason`, `usage_statistics`, and {@link UnknownMessage} for types newer than this
 * client, so a newer server never breaks an older client.
 *
 * @since 0.1.0
 * @category stream events
 */
export const LettaStreamingMessage = Schema.Union(
  ...LettaMessageUnion.members,
  LettaPing,
  LettaErrorMessage,
  LettaStopReason,
  LettaUsageStatistics,
  UnknownMessageFromWire
).annotations({ identifier: "LettaStreamingMessage" })

/**
 * @since 0.1.0
 * @category stream events
 */
export type LettaStreamingMessage = typeof LettaStreamingMessage.Type
