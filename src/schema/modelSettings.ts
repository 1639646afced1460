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
export class TextResponseFormat extends Schema.Class<TextResponseFormat>("TextResponseFormat")({
  type: tag("text")
}) {}

/**
 * Output constrained by a JSON Schema.
 *
 * @since 0.1.0
 * @category response formats
 */
export class JsonSchemaResponseFormat extends Schema.Class<JsonSchemaResponseFormat>("JsonSchemaResponseFormat")({
  type: tag("json_schema"),
  json_schema: JsonObject
}) {}

/**
 * Output that is any JSON object.
 *
 * @since 0.1.0
 * @category response formats
 */
export class JsonObjectResponseFormat extends Schema.Class<JsonObjectResponseFormat>("JsonObjectResponseFormat")({
  type: tag("json_object")
}) {}

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
export class AnthropicThinking extends Schema.Class<AnthropicThinking>("AnthropicThinking")({
  type: Schema.optional(Schema.Literal("enabled", "disabled")),
  budget_tokens: Schema.optional(Schema.Int)
}) {}

/**
 * Gemini thinking settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export class GeminiThinkingConfig extends Schema.Class<GeminiThinkingConfig>("GeminiThinkingConfig")({
  include_thoughts: Schema.optional(Schema.Boolean),
  thinking_budget: Schema.optional(Schema.Int)
}) {}

/**
 * OpenAI reasoning settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export class OpenAIReasoning extends Schema.Class<OpenAIReasoning>("OpenAIReasoning")({
  reasoning_effort: Schema.optional(Schema.Literal("none", "minimal", "low", "medium", "high", "xhigh"))
}) {}

/**
 * ChatGPT (OAuth) reasoning settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export class ChatGPTOAuthReasoning extends Schema.Class<ChatGPTOAuthReasoning>("ChatGPTOAuthReasoning")({
  reasoning_effort: Schema.optional(Schema.Literal("none", "low", "medium", "high", "xhigh"))
}) {}

/**
 * Z.ai thinking settings.
 *
 * @since 0.1.0
 * @category model settings
 */
export class ZAIThinking extends Schema.Class<ZAIThinking>("ZAIThinking")({
  type: Schema.optional(Schema.Literal("enabled", "disabled")),
  clear_thinking: Schema.optional(Schema.Boolean)
}) {}

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
export class OpenAIModelSettings extends Schema.Class<OpenAIModelSettings>("OpenAIModelSettings")({
  ...common("openai"),
  reasoning: Schema.optional(OpenAIReasoning),
  ...responseFormat,
  strict: Schema.optional(Schema.Boolean)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class SGLangModelSettings extends Schema.Class<SGLangModelSettings>("SGLangModelSettings")({
  ...common("sglang"),
  reasoning: Schema.optional(OpenAIReasoning),
  ...responseFormat,
  strict: Schema.optional(Schema.Boolean),
  tool_call_parser: nullable(Schema.String)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class AnthropicModelSettings extends Schema.Class<AnthropicModelSettings>("AnthropicModelSettings")({
  ...common("anthropic"),
  thinking: Schema.optional(AnthropicThinking),
  ...responseFormat,
  verbosity: nullable(Schema.Literal("low", "medium", "high")),
  effort: nullable(Schema.Literal("low", "medium", "high", "max")),
  strict: Schema.optional(Schema.Boolean)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class GoogleAIModelSettings extends Schema.Class<GoogleAIModelSettings>("GoogleAIModelSettings")({
  ...common("google_ai"),
  thinking_config: Schema.optional(GeminiThinkingConfig),
  response_schema: nullable(ResponseFormat)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class GoogleVertexModelSettings extends Schema.Class<GoogleVertexModelSettings>("GoogleVertexModelSettings")({
  ...common("google_vertex"),
  thinking_config: Schema.optional(GeminiThinkingConfig),
  response_schema: nullable(ResponseFormat)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class AzureModelSettings extends Schema.Class<AzureModelSettings>("AzureModelSettings")({
  ...common("azure"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class XAIModelSettings extends Schema.Class<XAIModelSettings>("XAIModelSettings")({
  ...common("xai"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class ZAIModelSettings extends Schema.Class<ZAIModelSettings>("ZAIModelSettings")({
  ...common("zai"),
  ...responseFormat,
  thinking: Schema.optional(ZAIThinking)
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class GroqModelSettings extends Schema.Class<GroqModelSettings>("GroqModelSettings")({
  ...common("groq"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class DeepseekModelSettings extends Schema.Class<DeepseekModelSettings>("DeepseekModelSettings")({
  ...common("deepseek"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class TogetherModelSettings extends Schema.Class<TogetherModelSettings>("TogetherModelSettings")({
  ...common("together"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class BedrockModelSettings extends Schema.Class<BedrockModelSettings>("BedrockModelSettings")({
  ...common("bedrock"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class BasetenModelSettings extends Schema.Class<BasetenModelSettings>("BasetenModelSettings")({
  ...common("baseten")
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class OpenRouterModelSettings extends Schema.Class<OpenRouterModelSettings>("OpenRouterModelSettings")({
  ...common("openrouter"),
  ...responseFormat
}) {}

/**
 * @since 0.1.0
 * @category model settings
 */
export class ChatGPTOAuthModelSettings extends Schema.Class<ChatGPTOAuthModelSettings>("ChatGPTOAuthModelSettings")({
  ...common("chatgpt_oauth"),
  reasoning: Schema.optional(ChatGPTOAuthReasoning)
}) {}

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
export class CompactionSettings extends Schema.Class<CompactionSettings>("CompactionSettings")({
  model: nullable(Schema.String),
  model_settings: nullable(ModelSettings),
  prompt: nullable(Schema.String),
  prompt_acknowledgement: Schema.optional(Schema.Boolean),
  clip_chars: nullable(Schema.Int),
  mode: Schema.optional(Schema.Literal("all", "sliding_window", "self_compact_all", "self_compact_sliding_window")),
  sliding_window_percentage: Schema.optional(Finite)
}) {}

/**
 * The body of `POST /v1/agents/{agent_id}/summarize` (OpenAPI
 * `letta__server__rest_api__routers__v1__agents__CompactionRequest`).
 *
 * @since 0.1.0
 * @category compaction
 */
export class CompactionRequest extends Schema.Class<CompactionRequest>("CompactionRequest")({
  compaction_settings: nullable(CompactionSettings)
}) {}
