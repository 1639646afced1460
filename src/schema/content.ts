/**
 * Content parts: the pieces a message's `content` is made of, and the image sources an
 * image part points at. Every part carries a `type` discriminator; it may be left out when
 * building a request and is always written on the wire (PROTOCOL.md §8).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { JsonObject, nullable, tag } from "../internal/schemaFields.js"

/**
 * An image referenced by URL.
 *
 * @since 0.1.0
 * @category image sources
 */
export class UrlImage extends Schema.Class<UrlImage>("UrlImage")({
  type: tag("url"),
  url: Schema.String
}) {}

/**
 * An image embedded as base64 data.
 *
 * @since 0.1.0
 * @category image sources
 */
export class Base64Image extends Schema.Class<Base64Image>("Base64Image")({
  type: tag("base64"),
  media_type: Schema.String,
  data: Schema.String,
  detail: nullable(Schema.String)
}) {}

/**
 * An image stored by Letta, referenced by its file id.
 *
 * @since 0.1.0
 * @category image sources
 */
export class LettaImage extends Schema.Class<LettaImage>("LettaImage")({
  type: tag("letta"),
  file_id: Schema.String,
  media_type: nullable(Schema.String),
  data: nullable(Schema.String),
  detail: nullable(Schema.String)
}) {}

/**
 * Where an image part's bytes come from, discriminated by `type`.
 *
 * @since 0.1.0
 * @category image sources
 */
export const ImageSource = Schema.Union(UrlImage, Base64Image, LettaImage).annotations({ identifier: "ImageSource" })

/**
 * @since 0.1.0
 * @category image sources
 */
export type ImageSource = typeof ImageSource.Type

/**
 * A text part.
 *
 * @since 0.1.0
 * @category content parts
 */
export class TextContent extends Schema.Class<TextContent>("TextContent")({
  type: tag("text"),
  text: Schema.String,
  signature: nullable(Schema.String)
}) {}

/**
 * An image part.
 *
 * @since 0.1.0
 * @category content parts
 */
export class ImageContent extends Schema.Class<ImageContent>("ImageContent")({
  type: tag("image"),
  source: ImageSource
}) {}

/**
 * A tool call recorded as content (provider-native format).
 *
 * @since 0.1.0
 * @category content parts
 */
export class ToolCallContent extends Schema.Class<ToolCallContent>("ToolCallContent")({
  type: tag("tool_call"),
  id: Schema.String,
  name: Schema.String,
  input: JsonObject,
  signature: nullable(Schema.String)
}) {}

/**
 * A tool result recorded as content.
 *
 * @since 0.1.0
 * @category content parts
 */
export class ToolReturnContent extends Schema.Class<ToolReturnContent>("ToolReturnContent")({
  type: tag("tool_return"),
  tool_call_id: Schema.String,
  content: Schema.String,
  is_error: Schema.Boolean
}) {}

/**
 * Reasoning text produced by the model.
 *
 * @since 0.1.0
 * @category content parts
 */
export class ReasoningContent extends Schema.Class<ReasoningContent>("ReasoningContent")({
  type: tag("reasoning"),
  is_native: Schema.Boolean,
  reasoning: Schema.String,
  signature: nullable(Schema.String)
}) {}

/**
 * Reasoning the provider redacted; `data` is opaque.
 *
 * @since 0.1.0
 * @category content parts
 */
export class RedactedReasoningContent extends Schema.Class<RedactedReasoningContent>("RedactedReasoningContent")({
  type: tag("redacted_reasoning"),
  data: Schema.String
}) {}

/**
 * Reasoning the provider left out of the response.
 *
 * @since 0.1.0
 * @category content parts
 */
export class OmittedReasoningContent extends Schema.Class<OmittedReasoningContent>("OmittedReasoningContent")({
  type: tag("omitted_reasoning"),
  signature: nullable(Schema.String)
}) {}

/**
 * One summary paragraph of a summarized reasoning step.
 *
 * @since 0.1.0
 * @category content parts
 */
export class SummarizedReasoningContentPart
  extends Schema.Class<SummarizedReasoningContentPart>("SummarizedReasoningContentPart")({
    index: Schema.Int,
    text: Schema.String
  })
{}

/**
 * Reasoning summarized by the provider (OpenAI Responses API style).
 *
 * @since 0.1.0
 * @category content parts
 */
export class SummarizedReasoningContent extends Schema.Class<SummarizedReasoningContent>("SummarizedReasoningContent")({
  type: tag("summarized_reasoning"),
  id: Schema.String,
  summary: Schema.Array(SummarizedReasoningContentPart),
  encrypted_content: Schema.optional(Schema.String)
}) {}

/**
 * Any content part. Unlike the spec's hand-written union this includes
 * `summarized_reasoning`, which the server accepts (PROTOCOL.md §8). Members whose fields
 * are all optional come last, so a part sent without `type` is read as the most specific
 * match.
 *
 * @since 0.1.0
 * @category content parts
 */
export const LettaMessageContentUnion = Schema.Union(
  TextContent,
  ImageContent,
  ToolCallContent,
  ToolReturnContent,
  ReasoningContent,
  RedactedReasoningContent,
  SummarizedReasoningContent,
  OmittedReasoningContent
).annotations({ identifier: "LettaMessageContentUnion" })

/**
 * @since 0.1.0
 * @category content parts
 */
export type LettaMessageContentUnion = typeof LettaMessageContentUnion.Type

/**
 * Content parts a user message may hold.
 *
 * @since 0.1.0
 * @category content parts
 */
export const LettaUserMessageContentUnion = Schema.Union(TextContent, ImageContent).annotations({
  identifier: "LettaUserMessageContentUnion"
})

/**
 * @since 0.1.0
 * @category content parts
 */
export type LettaUserMessageContentUnion = typeof LettaUserMessageContentUnion.Type

/**
 * Content parts an assistant message may hold (text only).
 *
 * @since 0.1.0
 * @category content parts
 */
export const LettaAssistantMessageContentUnion = Schema.Union(TextContent).annotations({
  identifier: "LettaAssistantMessageContentUnion"
})

/**
 * @since 0.1.0
 * @category content parts
 */
export type LettaAssistantMessageContentUnion = typeof LettaAssistantMessageContentUnion.Type

/**
 * Content parts a tool return may hold.
 *
 * @since 0.1.0
 * @category content parts
 */
export const LettaToolReturnContentUnion = Schema.Union(TextContent, ImageContent).annotations({
  identifier: "LettaToolReturnContentUnion"
})

/**
 * @since 0.1.0
 * @category content parts
 */
export type LettaToolReturnContentUnion = typeof LettaToolReturnContentUnion.Type
