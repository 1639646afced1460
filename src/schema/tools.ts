/**
 * Tool calls, tool returns and approval decisions, as they appear inside messages and
 * inside requests.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { JsonValue, nullable, tag } from "../internal/schemaFields.js"
import { LettaToolReturnContentUnion } from "./content.js"

/**
 * A complete tool call. `arguments` is a JSON string, exactly as the model wrote it.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const ToolCall = Schema.Struct({
  name: Schema.String,
  arguments: Schema.String,
  tool_call_id: Schema.String
}).annotations({ identifier: "ToolCall" })

/**
 * @since 0.1.0
 * @category tool calls
 */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}

/**
 * A fragment of a tool call from a token stream: `name` only on the first delta,
 * `arguments` as JSON fragments to concatenate, keyed by `tool_call_id`.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const ToolCallDelta = Schema.Struct({
  name: nullable(Schema.String),
  arguments: nullable(Schema.String),
  tool_call_id: nullable(Schema.String)
}).annotations({ identifier: "ToolCallDelta" })

/**
 * @since 0.1.0
 * @category tool calls
 */
export interface ToolCallDelta extends Schema.Schema.Type<typeof ToolCallDelta> {}

/**
 * A tool's result, sent by a client after running a client-side tool and echoed in
 * messages. The OpenAPI component is `letta__schemas__letta_message__ToolReturn`.
 *
 * @since 0.1.0
 * @category tool returns
 */
export const ToolReturn = Schema.Struct({
  type: tag("tool"),
  tool_return: Schema.Union(Schema.String, Schema.Array(LettaToolReturnContentUnion)),
  status: Schema.Literal("success", "error"),
  tool_call_id: Schema.String,
  stdout: nullable(Schema.Array(Schema.String)),
  stderr: nullable(Schema.Array(Schema.String))
}).annotations({ identifier: "ToolReturn" })

/**
 * @since 0.1.0
 * @category tool returns
 */
export interface ToolReturn extends Schema.Schema.Type<typeof ToolReturn> {}

/**
 * A human's decision on a tool call that requires approval.
 *
 * @since 0.1.0
 * @category approvals
 */
export const ApprovalReturn = Schema.Struct({
  type: tag("approval"),
  tool_call_id: Schema.String,
  approve: Schema.Boolean,
  reason: nullable(Schema.String)
}).annotations({ identifier: "ApprovalReturn" })

/**
 * @since 0.1.0
 * @category approvals
 */
export interface ApprovalReturn extends Schema.Schema.Type<typeof ApprovalReturn> {}

/**
 * One item of an approval: a decision on a server-side tool (`type: "approval"`) or the
 * result of a client-side tool (`type: "tool"`). The server parses this as a discriminated
 * union, so every item must carry `type` on the wire; it is filled in here when left out.
 *
 * @since 0.1.0
 * @category approvals
 */
export const ApprovalItem = Schema.Union(ApprovalReturn, ToolReturn).annotations({ identifier: "ApprovalItem" })

/**
 * @since 0.1.0
 * @category approvals
 */
export type ApprovalItem = typeof ApprovalItem.Type

/**
 * A tool result as stored on the server's internal `Message` (OpenAPI
 * `letta__schemas__message__ToolReturn-Output`). Renamed because `ToolReturn` is taken by
 * the client-facing tool return above, which is the one users send and read.
 *
 * @since 0.1.0
 * @category tool returns
 */
export const MessageToolReturn = Schema.Struct({
  tool_call_id: nullable(JsonValue),
  status: Schema.Literal("success", "error"),
  stdout: nullable(Schema.Array(Schema.String)),
  stderr: nullable(Schema.Array(Schema.String)),
  func_response: nullable(Schema.Union(Schema.String, Schema.Array(LettaToolReturnContentUnion)))
}).annotations({ identifier: "MessageToolReturn" })

/**
 * @since 0.1.0
 * @category tool returns
 */
export interface MessageToolReturn extends Schema.Schema.Type<typeof MessageToolReturn> {}

/**
 * The function part of an OpenAI-style tool call (OpenAPI `Function-Output`). Renamed
 * because `Function` would shadow the JavaScript global.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const ToolCallFunction = Schema.Struct({
  arguments: Schema.String,
  name: Schema.String
}).annotations({ identifier: "ToolCallFunction" })

/**
 * @since 0.1.0
 * @category tool calls
 */
export interface ToolCallFunction extends Schema.Schema.Type<typeof ToolCallFunction> {}

/**
 * An OpenAI-style tool call as stored on the server's internal `Message` (OpenAPI
 * `ChatCompletionMessageFunctionToolCall-Output`).
 *
 * @since 0.1.0
 * @category tool calls
 */
export const ChatCompletionMessageFunctionToolCall = Schema.Struct({
    id: Schema.String,
    function: ToolCallFunction,
    type: Schema.Literal("function")
  }).annotations({ identifier: "ChatCompletionMessageFunctionToolCall" })

/**
 * @since 0.1.0
 * @category tool calls
 */
export interface ChatCompletionMessageFunctionToolCall extends Schema.Schema.Type<typeof ChatCompletionMessageFunctionToolCall> {}
