/**
 * Response bodies of the messages endpoints: the agent's reply with its usage, log
 * probabilities and token data, and the compaction and cancel results.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Finite, JsonValue, nullable, ObjectKey } from "../internal/schemaFields.js"
import { LettaMessage, LettaStopReason, LettaUsageStatistics } from "./messages.js"

/**
 * One alternative token and its log probability.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export const TopLogprob = Schema.Struct({
  token: Schema.String,
  bytes: nullable(Schema.Array(Schema.Int)),
  logprob: Finite
}).annotations({ identifier: "TopLogprob" })

/**
 * @since 0.1.0
 * @category log probabilities
 */
export interface TopLogprob extends Schema.Schema.Type<typeof TopLogprob> {}

/**
 * A generated token, its log probability and the most likely alternatives.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export const ChatCompletionTokenLogprob = Schema.Struct({
  token: Schema.String,
  bytes: nullable(Schema.Array(Schema.Int)),
  logprob: Finite,
  top_logprobs: Schema.Array(TopLogprob)
}).annotations({ identifier: "ChatCompletionTokenLogprob" })

/**
 * @since 0.1.0
 * @category log probabilities
 */
export interface ChatCompletionTokenLogprob extends Schema.Schema.Type<typeof ChatCompletionTokenLogprob> {}

/**
 * Log probabilities of the last LLM call's output.
 *
 * @since 0.1.0
 * @category log probabilities
 */
export const ChoiceLogprobs = Schema.Struct({
  content: nullable(Schema.Array(ChatCompletionTokenLogprob)),
  refusal: nullable(Schema.Array(ChatCompletionTokenLogprob))
}).annotations({ identifier: "ChoiceLogprobs" })

/**
 * @since 0.1.0
 * @category log probabilities
 */
export interface ChoiceLogprobs extends Schema.Schema.Type<typeof ChoiceLogprobs> {}

/**
 * Token ids and log probabilities of one assistant or tool turn (for RL training).
 *
 * @since 0.1.0
 * @category log probabilities
 */
export const TurnTokenData = Schema.Struct({
  role: Schema.Literal("assistant", "tool"),
  output_ids: nullable(Schema.Array(Schema.Int)),
  output_token_logprobs: nullable(Schema.Array(Schema.Array(JsonValue))),
  content: nullable(Schema.String),
  tool_name: nullable(Schema.String)
}).annotations({ identifier: "TurnTokenData" })

/**
 * @since 0.1.0
 * @category log probabilities
 */
export interface TurnTokenData extends Schema.Schema.Type<typeof TurnTokenData> {}

/**
 * The agent's reply to a non-streaming send: the new messages, why the agent stopped, and
 * the usage. `messages` tolerates message types newer than this client.
 *
 * @since 0.1.0
 * @category responses
 */
export const LettaResponse = Schema.Struct({
  messages: Schema.Array(LettaMessage),
  stop_reason: LettaStopReason,
  usage: LettaUsageStatistics,
  logprobs: nullable(ChoiceLogprobs),
  turns: nullable(Schema.Array(TurnTokenData))
}).annotations({ identifier: "LettaResponse" })

/**
 * @since 0.1.0
 * @category responses
 */
export interface LettaResponse extends Schema.Schema.Type<typeof LettaResponse> {}

/**
 * The result of compacting an agent's context.
 *
 * @since 0.1.0
 * @category responses
 */
export const CompactionResponse = Schema.Struct({
  summary: Schema.String,
  num_messages_before: Schema.Int,
  num_messages_after: Schema.Int
}).annotations({ identifier: "CompactionResponse" })

/**
 * @since 0.1.0
 * @category responses
 */
export interface CompactionResponse extends Schema.Schema.Type<typeof CompactionResponse> {}

/**
 * The result of a cancel request: each run id mapped to `"cancelled"` or `"failed"`. The
 * server also reports runs that had already finished as `"cancelled"`.
 *
 * @since 0.1.0
 * @category responses
 */
export const CancelRunsResponse = Schema.Record({ key: ObjectKey, value: Schema.String }).annotations({
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
export const ValidationError = Schema.Struct({
  loc: Schema.Array(Schema.Union(Schema.String, Schema.Int)),
  msg: Schema.String,
  type: Schema.String
}).annotations({ identifier: "ValidationError" })

/**
 * @since 0.1.0
 * @category errors
 */
export interface ValidationError extends Schema.Schema.Type<typeof ValidationError> {}

/**
 * The spec's 422 body. The real server sends `detail` as a string instead;
 * both are accepted here.
 *
 * @since 0.1.0
 * @category errors
 */
export const HTTPValidationError = Schema.Struct({
  detail: Schema.optional(Schema.Union(Schema.Array(ValidationError), Schema.String))
}).annotations({ identifier: "HTTPValidationError" })

/**
 * @since 0.1.0
 * @category errors
 */
export interface HTTPValidationError extends Schema.Schema.Type<typeof HTTPValidationError> {}
