/**
 * Runs (one per agent turn), their steps and usage, and the server's internal message
 * record that steps carry.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { JsonObject, JsonValue, LettaDate, nullable, openLiteral, OtherFields, withDefault } from "../internal/schemaFields.js"
import { LettaMessageContentUnion } from "./content.js"
import { MessageRole, MessageType, StopReasonType } from "./messages.js"
import { LettaResponse } from "./responses.js"
import { ApprovalReturn, ChatCompletionMessageFunctionToolCall, MessageToolReturn } from "./tools.js"

/**
 * A run's status. `completed`, `failed` and `cancelled` are terminal. Whether a run
 * succeeded is told by its `stop_reason`, not its status: a `completed` run can carry
 * `llm_api_error`.
 *
 * @since 0.1.0
 * @category runs
 */
export const RunStatus = Schema.Literal("created", "running", "completed", "failed", "cancelled").annotations({
  identifier: "RunStatus"
})

/**
 * @since 0.1.0
 * @category runs
 */
export type RunStatus = typeof RunStatus.Type

/**
 * The legacy job status, a superset of {@link RunStatus} that runs never leave.
 *
 * @since 0.1.0
 * @category runs
 */
export const JobStatus = Schema.Literal("created", "running", "completed", "failed", "pending", "cancelled", "expired")
  .annotations({ identifier: "JobStatus" })

/**
 * @since 0.1.0
 * @category runs
 */
export type JobStatus = typeof JobStatus.Type

/**
 * The legacy job kind.
 *
 * @since 0.1.0
 * @category runs
 */
export const JobType = Schema.Literal("job", "run", "batch").annotations({ identifier: "JobType" })

/**
 * @since 0.1.0
 * @category runs
 */
export type JobType = typeof JobType.Type

/**
 * The message-rendering options a run was started with.
 *
 * @since 0.1.0
 * @category runs
 */
export const LettaRequestConfig = Schema.Struct({
  use_assistant_message: withDefault(Schema.Boolean, true),
  assistant_message_tool_name: withDefault(Schema.String, "send_message"),
  assistant_message_tool_kwarg: withDefault(Schema.String, "message"),
  include_return_message_types: nullable(Schema.Array(openLiteral(MessageType)))
}).annotations({ identifier: "LettaRequestConfig" })

/**
 * @since 0.1.0
 * @category runs
 */
export interface LettaRequestConfig extends Schema.Schema.Type<typeof LettaRequestConfig> {}

/**
 * One agent turn started by a send. `completed_at` arrives without a UTC offset and is read
 * as UTC. `metadata.run_type` says how the run was started; `metadata.error` explains a
 * failure.
 *
 * @since 0.1.0
 * @category runs
 */
export const Run = Schema.Struct({
  id: Schema.String,
  status: withDefault(openLiteral(RunStatus), "created"),
  created_at: Schema.optional(LettaDate),
  completed_at: nullable(LettaDate),
  agent_id: Schema.String,
  conversation_id: nullable(Schema.String),
  base_template_id: nullable(Schema.String),
  background: nullable(Schema.Boolean),
  metadata: nullable(JsonObject),
  request_config: nullable(LettaRequestConfig),
  stop_reason: nullable(openLiteral(StopReasonType)),
  callback_url: nullable(Schema.String),
  callback_sent_at: nullable(LettaDate),
  callback_status_code: nullable(Schema.Int),
  callback_error: nullable(Schema.String),
  ttft_ns: nullable(Schema.Int),
  total_duration_ns: nullable(Schema.Int)
}).annotations({ identifier: "Run" })

/**
 * @since 0.1.0
 * @category runs
 */
export interface Run extends Schema.Schema.Type<typeof Run> {}

/**
 * @since 0.1.0
 * @category usage
 */
export const UsageStatisticsPromptTokenDetails = Schema.Struct({
    cached_tokens: nullable(Schema.Int),
    cache_read_tokens: nullable(Schema.Int),
    cache_creation_tokens: nullable(Schema.Int)
  }).annotations({ identifier: "UsageStatisticsPromptTokenDetails" })

/**
 * @since 0.1.0
 * @category usage
 */
export interface UsageStatisticsPromptTokenDetails extends Schema.Schema.Type<typeof UsageStatisticsPromptTokenDetails> {}

/**
 * @since 0.1.0
 * @category usage
 */
export const UsageStatisticsCompletionTokenDetails = Schema.Struct({
    reasoning_tokens: nullable(Schema.Int)
  }).annotations({ identifier: "UsageStatisticsCompletionTokenDetails" })

/**
 * @since 0.1.0
 * @category usage
 */
export interface UsageStatisticsCompletionTokenDetails extends Schema.Schema.Type<typeof UsageStatisticsCompletionTokenDetails> {}

/**
 * A run's token usage, OpenAI style (`GET /v1/runs/{run_id}/usage`). Not the same shape as
 * the `usage_statistics` stream event.
 *
 * @since 0.1.0
 * @category usage
 */
export const UsageStatistics = Schema.Struct({
  completion_tokens: withDefault(Schema.Int, 0),
  prompt_tokens: withDefault(Schema.Int, 0),
  total_tokens: withDefault(Schema.Int, 0),
  prompt_tokens_details: nullable(UsageStatisticsPromptTokenDetails),
  completion_tokens_details: nullable(UsageStatisticsCompletionTokenDetails)
}).annotations({ identifier: "UsageStatistics" })

/**
 * @since 0.1.0
 * @category usage
 */
export interface UsageStatistics extends Schema.Schema.Type<typeof UsageStatistics> {}

/**
 * The server's own record of a message, as carried by {@link Step}. Clients normally read
 * messages as `LettaMessage`s instead.
 *
 * @since 0.1.0
 * @category steps
 */
export const Message = Schema.Struct({
  created_by_id: nullable(Schema.String),
  last_updated_by_id: nullable(Schema.String),
  created_at: Schema.optional(LettaDate),
  updated_at: nullable(LettaDate),
  id: Schema.optional(Schema.String),
  agent_id: nullable(Schema.String),
  model: nullable(Schema.String),
  role: openLiteral(MessageRole),
  content: nullable(Schema.Array(LettaMessageContentUnion)),
  name: nullable(Schema.String),
  tool_calls: nullable(Schema.Array(ChatCompletionMessageFunctionToolCall)),
  tool_call_id: nullable(Schema.String),
  step_id: nullable(Schema.String),
  run_id: nullable(Schema.String),
  otid: nullable(Schema.String),
  tool_returns: nullable(Schema.Array(MessageToolReturn)),
  group_id: nullable(Schema.String),
  sender_id: nullable(Schema.String),
  batch_item_id: nullable(Schema.String),
  conversation_id: nullable(Schema.String),
  is_err: nullable(Schema.Boolean),
  approval_request_id: nullable(Schema.String),
  approve: nullable(Schema.Boolean),
  denial_reason: nullable(Schema.String),
  // Not discriminated on the wire: the server's stored tool return has no `type`.
  approvals: nullable(Schema.Array(Schema.Union(ApprovalReturn, MessageToolReturn)))
}).annotations({ identifier: "Message" })

/**
 * @since 0.1.0
 * @category steps
 */
export interface Message extends Schema.Schema.Type<typeof Message> {}

/**
 * A step's status.
 *
 * @since 0.1.0
 * @category steps
 */
export const StepStatus = Schema.Literal("pending", "success", "failed", "cancelled").annotations({
  identifier: "StepStatus"
})

/**
 * @since 0.1.0
 * @category steps
 */
export type StepStatus = typeof StepStatus.Type

/**
 * One LLM call within a run, with its model and token counts.
 *
 * @since 0.1.0
 * @category steps
 */
export const Step = Schema.Struct({
  id: Schema.String,
  origin: nullable(Schema.String),
  provider_id: nullable(Schema.String),
  run_id: nullable(Schema.String),
  agent_id: nullable(Schema.String),
  provider_name: nullable(Schema.String),
  provider_category: nullable(Schema.String),
  model: nullable(Schema.String),
  model_handle: nullable(Schema.String),
  model_endpoint: nullable(Schema.String),
  context_window_limit: nullable(Schema.Int),
  completion_tokens: nullable(Schema.Int),
  prompt_tokens: nullable(Schema.Int),
  total_tokens: nullable(Schema.Int),
  cached_input_tokens: nullable(Schema.Int),
  cache_write_tokens: nullable(Schema.Int),
  reasoning_tokens: nullable(Schema.Int),
  completion_tokens_details: nullable(JsonObject),
  prompt_tokens_details: nullable(JsonObject),
  stop_reason: nullable(openLiteral(StopReasonType)),
  tags: withDefault(Schema.Array(Schema.String), []),
  tid: nullable(Schema.String),
  trace_id: nullable(Schema.String),
  request_id: nullable(Schema.String),
  messages: withDefault(Schema.Array(Message), []),
  feedback: nullable(Schema.Literal("positive", "negative")),
  project_id: nullable(Schema.String),
  error_type: nullable(Schema.String),
  error_data: nullable(JsonObject),
  status: nullable(openLiteral(StepStatus))
}).annotations({ identifier: "Step" })

/**
 * @since 0.1.0
 * @category steps
 */
export interface Step extends Schema.Schema.Type<typeof Step> {}

/**
 * The body the server POSTs to a run's `callback_url` when an async run ends, so a receiving
 * app can decode it. `completed_at` arrives without an offset and is read as UTC;
 * `metadata.result` holds the agent's reply, `metadata.error` the reason for a failure.
 * The server makes one attempt with a 5 s timeout and signs nothing.
 *
 * @since 0.1.0
 * @category runs
 */
export const RunCallback = Schema.Struct({
  run_id: Schema.String,
  status: openLiteral(RunStatus),
  completed_at: nullable(LettaDate),
  metadata: nullable(Schema.Struct({ result: nullable(LettaResponse), error: nullable(JsonValue) }, OtherFields))
}).annotations({ identifier: "RunCallback" })

/**
 * @since 0.1.0
 * @category runs
 */
export interface RunCallback extends Schema.Schema.Type<typeof RunCallback> {}
