/**
 * Content parts: the pieces a message's `content` is made of, and the image sources an
 * image part points at. Every part carries a `type` discriminator; it may be left out when
 * building a request and is always written on the wire.
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
export const UrlImage = Schema.Struct({
  type: tag("url"),
  url: Schema.String
}).annotations({ identifier: "UrlImage" })

/**
 * @since 0.1.0
 * @category image sources
 */
export interface UrlImage extends Schema.Schema.Type<typeof UrlImage> {}

/**
 * An image embedded as base64 data.
 *
 * @since 0.1.0
 * @category image sources
 */
export const Base64Image = Schema.Struct({
  type: tag("base64"),
  media_type: Schema.String,
  data: Schema.String,
  detail: nullable(Schema.String)
}).annotations({ identifier: "Base64Image" })

/**
 * @since 0.1.0
 * @category image sources
 */
export interface Base64Image extends Schema.Schema.Type<typeof Base64Image> {}

/**
 * An image stored by Letta, referenced by its file id.
 *
 * @since 0.1.0
 * @category image sources
 */
export const LettaImage = Schema.Struct({
  type: tag("letta"),
  file_id: Schema.String,
  media_type: nullable(Schema.String),
  data: nullable(Schema.String),
  detail: nullable(Schema.String)
}).annotations({ identifier: "LettaImage" })

/**
 * @since 0.1.0
 * @category image sources
 */
export interface LettaImage extends Schema.Schema.Type<typeof LettaImage> {}

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
export const TextContent = Schema.Struct({
  type: tag("text"),
  text: Schema.String,
  signature: nullable(Schema.String)
}).annotations({ identifier: "TextContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface TextContent extends Schema.Schema.Type<typeof TextContent> {}

/**
 * An image part.
 *
 * @since 0.1.0
 * @category content parts
 */
export const ImageContent = Schema.Struct({
  type: tag("image"),
  source: ImageSource
}).annotations({ identifier: "ImageContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface ImageContent extends Schema.Schema.Type<typeof ImageContent> {}

/**
 * A tool call recorded as content (provider-native format).
 *
 * @since 0.1.0
 * @category content parts
 */
export const ToolCallContent = Schema.Struct({
  type: tag("tool_call"),
  id: Schema.String,
  name: Schema.String,
  input: JsonObject,
  signature: nullable(Schema.String)
}).annotations({ identifier: "ToolCallContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface ToolCallContent extends Schema.Schema.Type<typeof ToolCallContent> {}

/**
 * A tool result recorded as content.
 *
 * @since 0.1.0
 * @category content parts
 */
export const ToolReturnContent = Schema.Struct({
  type: tag("tool_return"),
  tool_call_id: Schema.String,
  content: Schema.String,
  is_error: Schema.Boolean
}).annotations({ identifier: "ToolReturnContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface ToolReturnContent extends Schema.Schema.Type<typeof ToolReturnContent> {}

/**
 * Reasoning text produced by the model.
 *
 * @since 0.1.0
 * @category content parts
 */
export const ReasoningContent = Schema.Struct({
  type: tag("reasoning"),
  is_native: Schema.Boolean,
  reasoning: Schema.String,
  signature: nullable(Schema.String)
}).annotations({ identifier: "ReasoningContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface ReasoningContent extends Schema.Schema.Type<typeof ReasoningContent> {}

/**
 * Reasoning the provider redacted; `data` is opaque.
 *
 * @since 0.1.0
 * @category content parts
 */
export const RedactedReasoningContent = Schema.Struct({
  type: tag("redacted_reasoning"),
  data: Schema.String
}).annotations({ identifier: "RedactedReasoningContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface RedactedReasoningContent extends Schema.Schema.Type<typeof RedactedReasoningContent> {}

/**
 * Reasoning the provider left out of the response.
 *
 * @since 0.1.0
 * @category content parts
 */
export const OmittedReasoningContent = Schema.Struct({
  type: tag("omitted_reasoning"),
  signature: nullable(Schema.String)
}).annotations({ identifier: "OmittedReasoningContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface OmittedReasoningContent extends Schema.Schema.Type<typeof OmittedReasoningContent> {}

/**
 * One summary paragraph of a summarized reasoning step.
 *
 * @since 0.1.0
 * @category content parts
 */
export const SummarizedReasoningContentPart = Schema.Struct({
    index: Schema.Int,
    text: Schema.String
  }).annotations({ identifier: "SummarizedReasoningContentPart" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface SummarizedReasoningContentPart extends Schema.Schema.Type<typeof SummarizedReasoningContentPart> {}

/**
 * Reasoning summarized by the provider (OpenAI Responses API style).
 *
 * @since 0.1.0
 * @category content parts
 */
export const SummarizedReasoningContent = Schema.Struct({
  type: tag("summarized_reasoning"),
  id: Schema.String,
  summary: Schema.Array(SummarizedReasoningContentPart),
  encrypted_content: Schema.optional(Schema.String)
}).annotations({ identifier: "SummarizedReasoningContent" })

/**
 * @since 0.1.0
 * @category content parts
 */
export interface SummarizedReasoningContent extends Schema.Schema.Type<typeof SummarizedReasoningContent> {}

/**
 * Any content part. Unlike the spec's hand-written union this includes
 * `summarized_reasoning`, which the server accepts. Members whose fields
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
 * Content parts an assistant message may hold (text only). A union of one member is that
 * member, so this schema is `TextContent` itself.
 *
 * @since 0.1.0
 * @category content parts
 */
export const LettaAssistantMessageContentUnion = Schema.Union(TextContent)

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
