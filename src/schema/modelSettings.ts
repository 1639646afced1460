/**
 * Per-provider model settings, as used by compaction requests. The 15 settings types are
 * told apart by `provider_type`. Unlike the other discriminators it is required: most
 * settings have no required field of their own, so without it neither this client nor the
 * server can tell which provider is meant.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Finite, JsonObject, nullable, tag } from "../internal/schemaFields.js"

/**
 * Plain-text output.
 *
 * @since 0.1.0
 * @category response formats
 */
export const TextResponseFormat = Schema.Struct({
  type: tag("text")
}).annotations({ identifier: "TextResponseFormat" })

/**
 * @since 0.1.0
 * @category response formats
 */
export interface TextResponseFormat extends Schema.Schema.Type<typeof TextResponseFormat> {}

/**
 * Output constrained by a JSON Schema.
 *
 * @since 0.1.0
 * @category response formats
 */
export const JsonSchemaResponseFormat = Schema.Struct({
  type: tag("json_schema"),
  json_schema: JsonObject
}).annotations({ identifier: "JsonSchemaResponseFormat" })

/**
 * @since 0.1.0
 * @category response formats
 */
export interface JsonSchemaResponseFormat extends Schema.Schema.Type<typeof JsonSchemaResponseFormat> {}

/**
 * Output that is any JSON object.
 *
 * @since 0.1.0
 * @category response formats
 */
export const JsonObjectResponseFormat = Schema.Struct({
  type: tag("json_object")
}).annotations({ identifier: "JsonObjectResponseFormat" })

/**
 * @since 0.1.0
 * @category response formats
 */
export interface JsonObjectResponseFormat extends Schema.Schema.Type<typeof JsonObjectResponseFormat> {}

/**
 * A response format, discriminated by `type`. Left untagged, `{}` reads as text.
 *
 * @since 0.1.0
 * @category response formats
 */
export const ResponseFormat = Schema.Union(JsonSchemaResponseFormat, TextResponseFormat, JsonObjectResponseFormat)
  .annotations({ identifier: "ResponseFormat" })

/**
 * @since 0.1.0
 * @category response formats
 */
export type ResponseFormat = typeof ResponseFormat.Type

/**
 * Anthropic extended-thinking settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export const AnthropicThinking = Schema.Struct({
  type: Schema.optional(Schema.Literal("enabled", "disabled")),
  budget_tokens: Schema.optional(Schema.Int)
}).annotations({ identifier: "AnthropicThinking" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface AnthropicThinking extends Schema.Schema.Type<typeof AnthropicThinking> {}

/**
 * Gemini thinking settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export const GeminiThinkingConfig = Schema.Struct({
  include_thoughts: Schema.optional(Schema.Boolean),
  thinking_budget: Schema.optional(Schema.Int)
}).annotations({ identifier: "GeminiThinkingConfig" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface GeminiThinkingConfig extends Schema.Schema.Type<typeof GeminiThinkingConfig> {}

/**
 * OpenAI reasoning settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export const OpenAIReasoning = Schema.Struct({
  reasoning_effort: Schema.optional(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh"))
}).annotations({ identifier: "OpenAIReasoning" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface OpenAIReasoning extends Schema.Schema.Type<typeof OpenAIReasoning> {}

/**
 * ChatGPT (OAuth) reasoning settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export const ChatGPTOAuthReasoning = Schema.Struct({
  reasoning_effort: Schema.optional(Schema.Literal("none", "low", "medium", "high", "xhigh"))
}).annotations({ identifier: "ChatGPTOAuthReasoning" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface ChatGPTOAuthReasoning extends Schema.Schema.Type<typeof ChatGPTOAuthReasoning> {}

/**
 * Z.ai thinking settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export const ZAIThinking = Schema.Struct({
  type: Schema.optional(Schema.Literal("enabled", "disabled")),
  clear_thinking: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "ZAIThinking" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface ZAIThinking extends Schema.Schema.Type<typeof ZAIThinking> {}

const common = <const P extends string>(provider: P) => ({
  max_output_tokens: Schema.optional(Schema.Int),
  parallel_tool_calls: Schema.optional(Schema.Boolean),
  provider_type: Schema.Literal(provider),
  temperature: Schema.optional(Finite)
})

const responseFormat = { response_format: nullable(ResponseFormat) }

/**
 * @since 0.1.0
 * @category model settings
 */
export const OpenAIModelSettings = Schema.Struct({
  ...common("openai"),
  reasoning: Schema.optional(OpenAIReasoning),
  ...responseFormat,
  strict: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "OpenAIModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface OpenAIModelSettings extends Schema.Schema.Type<typeof OpenAIModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const SGLangModelSettings = Schema.Struct({
  ...common("sglang"),
  reasoning: Schema.optional(OpenAIReasoning),
  ...responseFormat,
  strict: Schema.optional(Schema.Boolean),
  tool_call_parser: nullable(Schema.String)
}).annotations({ identifier: "SGLangModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface SGLangModelSettings extends Schema.Schema.Type<typeof SGLangModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const AnthropicModelSettings = Schema.Struct({
  ...common("anthropic"),
  thinking: Schema.optional(AnthropicThinking),
  ...responseFormat,
  verbosity: nullable(Schema.Literal("low", "medium", "high")),
  effort: nullable(Schema.Literal("low", "medium", "high", "max")),
  strict: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "AnthropicModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface AnthropicModelSettings extends Schema.Schema.Type<typeof AnthropicModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const GoogleAIModelSettings = Schema.Struct({
  ...common("google_ai"),
  thinking_config: Schema.optional(GeminiThinkingConfig),
  response_schema: nullable(ResponseFormat)
}).annotations({ identifier: "GoogleAIModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface GoogleAIModelSettings extends Schema.Schema.Type<typeof GoogleAIModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const GoogleVertexModelSettings = Schema.Struct({
  ...common("google_vertex"),
  thinking_config: Schema.optional(GeminiThinkingConfig),
  response_schema: nullable(ResponseFormat)
}).annotations({ identifier: "GoogleVertexModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface GoogleVertexModelSettings extends Schema.Schema.Type<typeof GoogleVertexModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const AzureModelSettings = Schema.Struct({
  ...common("azure"),
  ...responseFormat
}).annotations({ identifier: "AzureModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface AzureModelSettings extends Schema.Schema.Type<typeof AzureModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const XAIModelSettings = Schema.Struct({
  ...common("xai"),
  ...responseFormat
}).annotations({ identifier: "XAIModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface XAIModelSettings extends Schema.Schema.Type<typeof XAIModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const ZAIModelSettings = Schema.Struct({
  ...common("zai"),
  ...responseFormat,
  thinking: Schema.optional(ZAIThinking)
}).annotations({ identifier: "ZAIModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface ZAIModelSettings extends Schema.Schema.Type<typeof ZAIModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const GroqModelSettings = Schema.Struct({
  ...common("groq"),
  ...responseFormat
}).annotations({ identifier: "GroqModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface GroqModelSettings extends Schema.Schema.Type<typeof GroqModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const DeepseekModelSettings = Schema.Struct({
  ...common("deepseek"),
  ...responseFormat
}).annotations({ identifier: "DeepseekModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface DeepseekModelSettings extends Schema.Schema.Type<typeof DeepseekModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const TogetherModelSettings = Schema.Struct({
  ...common("together"),
  ...responseFormat
}).annotations({ identifier: "TogetherModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface TogetherModelSettings extends Schema.Schema.Type<typeof TogetherModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const BedrockModelSettings = Schema.Struct({
  ...common("bedrock"),
  ...responseFormat
}).annotations({ identifier: "BedrockModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface BedrockModelSettings extends Schema.Schema.Type<typeof BedrockModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const BasetenModelSettings = Schema.Struct({
  ...common("baseten")
}).annotations({ identifier: "BasetenModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface BasetenModelSettings extends Schema.Schema.Type<typeof BasetenModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const OpenRouterModelSettings = Schema.Struct({
  ...common("openrouter"),
  ...responseFormat
}).annotations({ identifier: "OpenRouterModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface OpenRouterModelSettings extends Schema.Schema.Type<typeof OpenRouterModelSettings> {}

/**
 * @since 0.1.0
 * @category model settings
 */
export const ChatGPTOAuthModelSettings = Schema.Struct({
  ...common("chatgpt_oauth"),
  reasoning: Schema.optional(ChatGPTOAuthReasoning)
}).annotations({ identifier: "ChatGPTOAuthModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export interface ChatGPTOAuthModelSettings extends Schema.Schema.Type<typeof ChatGPTOAuthModelSettings> {}

/**
 * Model settings for any provider, discriminated by `provider_type`.
 *
 * @since 0.1.0
 * @category model settings
 */
export const ModelSettings = Schema.Union(
  OpenAIModelSettings,
  SGLangModelSettings,
  AnthropicModelSettings,
  GoogleAIModelSettings,
  GoogleVertexModelSettings,
  AzureModelSettings,
  XAIModelSettings,
  ZAIModelSettings,
  GroqModelSettings,
  DeepseekModelSettings,
  TogetherModelSettings,
  BedrockModelSettings,
  BasetenModelSettings,
  OpenRouterModelSettings,
  ChatGPTOAuthModelSettings
).annotations({ identifier: "ModelSettings" })

/**
 * @since 0.1.0
 * @category model settings
 */
export type ModelSettings = typeof ModelSettings.Type

/**
 * How the agent's context is compacted (OpenAPI `CompactionSettings-Input`).
 *
 * @since 0.1.0
 * @category compaction
 */
export const CompactionSettings = Schema.Struct({
  model: nullable(Schema.String),
  model_settings: nullable(ModelSettings),
  prompt: nullable(Schema.String),
  prompt_acknowledgement: Schema.optional(Schema.Boolean),
  clip_chars: nullable(Schema.Int),
  mode: Schema.optional(Schema.Literal("all", "sliding_window", "self_compact_all", "self_compact_sliding_window")),
  sliding_window_percentage: Schema.optional(Finite)
}).annotations({ identifier: "CompactionSettings" })

/**
 * @since 0.1.0
 * @category compaction
 */
export interface CompactionSettings extends Schema.Schema.Type<typeof CompactionSettings> {}

/**
 * The body of `POST /v1/agents/{agent_id}/summarize` (OpenAPI
 * `letta__server__rest_api__routers__v1__agents__CompactionRequest`).
 *
 * @since 0.1.0
 * @category compaction
 */
export const CompactionRequest = Schema.Struct({
  compaction_settings: nullable(CompactionSettings)
}).annotations({ identifier: "CompactionRequest" })

/**
 * @since 0.1.0
 * @category compaction
 */
export interface CompactionRequest extends Schema.Schema.Type<typeof CompactionRequest> {}
