/**
 * Response bodies of the messages endpoints: the agent's reply with its usage, log
 * probabilities and token data, and the compaction and cancel results.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Finite, JsonValue, nullable } from "../internal/schemaFields.js"
import { LettaMessage, LettaStopReason, LettaUsageStatistics } from "./messages.js"

/**
 * One alternative token and its log probability.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export class TopLogprob extends Schema.Class<TopLogprob>("TopLogprob")({
  token: Schema.String,
  bytes: nullable(Schema.Array(Schema.Int)),
  logprob: Finite
}) {}

/**
 * A generated token, its log probability and the most likely alternatives.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export class ChatCompletionTokenLogprob extends Schema.Class<ChatCompletionTokenLogprob>("ChatCompletionTokenLogprob")({
  token: Schema.String,
  bytes: nullable(Schema.Array(Schema.Int)),
  logprob: Finite,
  top_logprobs: Schema.Array(TopLogprob)
}) {}

/**
 * Log probabilities of the last LLM call's output.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export class ChoiceLogprobs extends Schema.Class<ChoiceLogprobs>("ChoiceLogprobs")({
  content: nullable(Schema.Array(ChatCompletionTokenLogprob)),
  refusal: nullable(Schema.Array(ChatCompletionTokenLogprob))
}) {}

/**
 * Token ids and log probabilities of one assistant or tool turn (for RL training).
 *
 * @since 0.1.0
 * @category log probabilities
 */
export class TurnTokenData extends Schema.Class<TurnTokenData>("TurnTokenData")({
  role: Schema.Literal("assistant", "tool"),
  output_ids: nullable(Schema.Array(Schema.Int)),
  output_token_logprobs: nullable(Schema.Array(Schema.Array(JsonValue))),
  content: nullable(Schema.String),
  tool_name: nullable(Schema.String)
}) {}

/**
 * The agent's reply to a non-streaming send: the new messages, why the agent stopped, and
 * the usage. `messages` tolerates message types newer than this client.
 *
 * @since 0.1.0
 * @category responses
 */
export class LettaResponse extends Schema.Class<LettaResponse>("LettaResponse")({
  messages: Schema.Array(LettaMessage),
  stop_reason: LettaStopReason,
  usage: LettaUsageStatistics,
  logprobs: nullable(ChoiceLogprobs),
  turns: nullable(Schema.Array(TurnTokenData))
}) {}

/**
 * The result of compacting an agent's context.
 *
 * @since 0.1.0
 * @category responses
 */
export class CompactionResponse extends Schema.Class<CompactionResponse>("CompactionResponse")({
  summary: Schema.String,
  num_messages_before: Schema.Int,
  num_messages_after: Schema.Int
}) {}

/**
 * The result of a cancel request: each run id mapped to `"cancelled"` or `"failed"`. The
 * server also reports runs that had already finished as `"cancelled"`.
 *
 * @since 0.1.0
 * @category responses
 */
export const CancelRunsResponse = Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
  identifier: "CancelRunsResponse"
})

/**
 * @since 0.1.0
 * @category responses
 */
export type CancelRunsResponse = typeof CancelRunsResponse.Type

/**
 * One validation failure, as FastAPI describes it.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends Schema.Class<ValidationError>("ValidationError")({
  loc: Schema.Array(Schema.Union(Schema.String, Schema.Int)),
  msg: Schema.String,
  type: Schema.String
}) {}

/**
 * The spec's 422 body. The real server sends `detail` as a string instead (PROTOCOL.md §6);
 * both are accepted here.
 *
 * @since 0.1.0
 * @category errors
 */
export class HTTPValidationError extends Schema.Class<HTTPValidationError>("HTTPValidationError")({
  detail: Schema.optional(Schema.Union(Schema.Array(ValidationError), Schema.String))
}) {}
