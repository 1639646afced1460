/**
 * Request bodies: what a client sends to the messages, runs and conversations endpoints.
 *
 * Request schemas fill in only the `type` discriminators; every other default is left to
 * the server, so a request carries exactly what the caller set. The server rejects some
 * combinations of defaults-made-explicit, so this matters.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Finite, JsonObject, nullable, nullableTag, tag } from "../internal/schemaFields.js"
import {
  LettaAssistantMessageContentUnion,
  LettaMessageContentUnion,
  LettaUserMessageContentUnion
} from "./content.js"
import { MessageType } from "./messages.js"
import { ApprovalItem, ToolReturn } from "./tools.js"

/**
 * `otid` is the offline threading id: one per message, chosen by the client and reused only
 * when the same request is retried, so the server can deduplicate.
 */
const createFields = {
  otid: nullable(Schema.String),
  group_id: nullable(Schema.String)
}

/**
 * A message to send to the agent. `type` may be left out.
 *
 * @since 0.1.0
 * @category inputs
 */
export const MessageCreate = Schema.Struct({
  type: nullableTag("message"),
  ...createFields,
  role: Schema.Literal("user", "system", "assistant"),
  content: Schema.Union(Schema.String, Schema.Array(LettaMessageContentUnion)),
  name: nullable(Schema.String),
  sender_id: nullable(Schema.String),
  batch_item_id: nullable(Schema.String)
}).annotations({ identifier: "MessageCreate" })

/**
 * @since 0.1.0
 * @category inputs
 */
export interface MessageCreate extends Schema.Schema.Type<typeof MessageCreate> {}

/**
 * Approves or denies pending tool calls, or returns the results of client-side tools
 * (`approvals` items of `type: "tool"`). `type` may be left out, here and on each item: the
 * server would read an untagged approval as a plain message and reject it, so the client
 * always writes it.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ApprovalCreate = Schema.Struct({
    type: tag("approval"),
    ...createFields,
    approvals: nullable(Schema.Array(ApprovalItem)),
    approve: nullable(Schema.Boolean),
    approval_request_id: nullable(Schema.String),
    reason: nullable(Schema.String)
  }).pipe(
    // Without this an untagged object missing a message's `role` would be taken for an
    // empty approval instead of being reported.
    Schema.filter((approval) =>
      approval.approvals != null || (approval.approve != null && approval.approval_request_id != null) ||
      "an approval needs `approvals`, or the legacy `approve` with `approval_request_id`"
    )
  ).annotations({ identifier: "ApprovalCreate" })

/**
 * @since 0.1.0
 * @category inputs
 */
export interface ApprovalCreate extends Schema.Schema.Type<typeof ApprovalCreate> {}

/**
 * Returns the results of client-side tool calls. `type` may be left out.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ToolReturnCreate = Schema.Struct({
  type: tag("tool_return"),
  ...createFields,
  tool_returns: Schema.Array(ToolReturn)
}).annotations({ identifier: "ToolReturnCreate" })

/**
 * @since 0.1.0
 * @category inputs
 */
export interface ToolReturnCreate extends Schema.Schema.Type<typeof ToolReturnCreate> {}

/**
 * Any item of a request's `messages`, discriminated by `type`. Left untagged, an item is
 * read as a message if it has `role` and `content`, as a tool return if it has
 * `tool_returns`, and otherwise as an approval.
 *
 * @since 0.1.0
 * @category inputs
 */
export const MessageCreateUnion = Schema.Union(MessageCreate, ToolReturnCreate, ApprovalCreate).annotations({
  identifier: "MessageCreateUnion"
})

/**
 * @since 0.1.0
 * @category inputs
 */
export type MessageCreateUnion = typeof MessageCreateUnion.Type

/**
 * A tool the client runs itself. `parameters` is a JSON Schema.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ClientToolSchema = Schema.Struct({
  name: Schema.String,
  description: nullable(Schema.String),
  parameters: nullable(JsonObject)
}).annotations({ identifier: "ClientToolSchema" })

/**
 * @since 0.1.0
 * @category inputs
 */
export interface ClientToolSchema extends Schema.Schema.Type<typeof ClientToolSchema> {}

/**
 * A skill available in the client's environment, listed in the agent's system prompt.
 *
 * @since 0.1.0
 * @category inputs
 */
export const ClientSkillSchema = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  location: Schema.String
}).annotations({ identifier: "ClientSkillSchema" })

/**
 * @since 0.1.0
 * @category inputs
 */
export interface ClientSkillSchema extends Schema.Schema.Type<typeof ClientSkillSchema> {}

const requestFields = {
  messages: nullable(Schema.Array(MessageCreateUnion)),
  input: nullable(Schema.Union(Schema.String, Schema.Array(LettaMessageContentUnion))),
  max_steps: Schema.optional(Schema.Int),
  use_assistant_message: Schema.optional(Schema.Boolean),
  assistant_message_tool_name: Schema.optional(Schema.String),
  assistant_message_tool_kwarg: Schema.optional(Schema.String),
  include_return_message_types: nullable(Schema.Array(MessageType)),
  enable_thinking: Schema.optional(Schema.String),
  client_tools: nullable(Schema.Array(ClientToolSchema)),
  client_skills: nullable(Schema.Array(ClientSkillSchema)),
  override_model: nullable(Schema.String),
  include_compaction_messages: Schema.optional(Schema.Boolean),
  return_logprobs: Schema.optional(Schema.Boolean),
  top_logprobs: nullable(Schema.Int),
  return_token_ids: Schema.optional(Schema.Boolean),
  override_system: nullable(Schema.String)
}

const streamingFields = {
  streaming: Schema.optional(Schema.Boolean),
  stream_tokens: Schema.optional(Schema.Boolean),
  include_pings: Schema.optional(Schema.Boolean),
  background: Schema.optional(Schema.Boolean)
}

/** The server answers 422 unless exactly one of `input` and `messages` is set. */
const exactlyOneInput = <A extends { readonly input?: unknown; readonly messages?: unknown }>(request: A) =>
  (request.input != null) !== (request.messages != null) || "set exactly one of `input` and `messages`"

/**
 * What to send to an agent: either `input` (one user message) or `messages`.
 *
 * @since 0.1.0
 * @category requests
 */
export const LettaRequest = Schema.Struct(requestFields).pipe(Schema.filter(exactlyOneInput)).annotations({ identifier: "LettaRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface LettaRequest extends Schema.Schema.Type<typeof LettaRequest> {}

/**
 * The body of `POST /v1/agents/{agent_id}/messages` and its deprecated `/stream` variant.
 *
 * @since 0.1.0
 * @category requests
 */
export const LettaStreamingRequest = Schema.Struct({ ...requestFields, ...streamingFields }).pipe(Schema.filter(exactlyOneInput)).annotations({ identifier: "LettaStreamingRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface LettaStreamingRequest extends Schema.Schema.Type<typeof LettaStreamingRequest> {}

/**
 * The body of `POST /v1/agents/{agent_id}/messages/async`. The server POSTs the outcome to
 * `callback_url` when the run ends.
 *
 * @since 0.1.0
 * @category requests
 */
export const LettaAsyncRequest = Schema.Struct({ ...requestFields, callback_url: nullable(Schema.String) }).pipe(Schema.filter(exactlyOneInput)).annotations({ identifier: "LettaAsyncRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface LettaAsyncRequest extends Schema.Schema.Type<typeof LettaAsyncRequest> {}

/**
 * The body of `POST /v1/conversations/{conversation_id}/messages`. Unlike the agents
 * endpoint, `streaming` defaults to true on the server. `agent_id` selects the agent when
 * the conversation id is `default`.
 *
 * @since 0.1.0
 * @category requests
 */
export const ConversationMessageRequest = Schema.Struct({ ...requestFields, agent_id: nullable(Schema.String), ...streamingFields }).pipe(
    Schema.filter(exactlyOneInput)
  ).annotations({ identifier: "ConversationMessageRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface ConversationMessageRequest extends Schema.Schema.Type<typeof ConversationMessageRequest> {}

/**
 * The body of the stream-resume endpoints. `starting_after` is a `seq_id`; the stream
 * resumes with the first event after it.
 *
 * @since 0.1.0
 * @category requests
 */
export const RetrieveStreamRequest = Schema.Struct({
  agent_id: nullable(Schema.String),
  run_id: nullable(Schema.String),
  otid: nullable(Schema.String),
  starting_after: Schema.optional(Schema.Int),
  include_pings: nullable(Schema.Boolean),
  poll_interval: nullable(Finite),
  batch_size: nullable(Schema.Int)
}).annotations({ identifier: "RetrieveStreamRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface RetrieveStreamRequest extends Schema.Schema.Type<typeof RetrieveStreamRequest> {}

/**
 * The body of `POST /v1/agents/{agent_id}/messages/cancel`. Without `run_ids` the server
 * cancels the agent's latest tracked send or, failing that, its active runs (a 409 when
 * there are none).
 *
 * @since 0.1.0
 * @category requests
 */
export const CancelAgentRunRequest = Schema.Struct({
  run_ids: nullable(Schema.Array(Schema.String))
}).annotations({ identifier: "CancelAgentRunRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface CancelAgentRunRequest extends Schema.Schema.Type<typeof CancelAgentRunRequest> {}

/**
 * The body of `PATCH /v1/agents/{agent_id}/reset-messages`.
 *
 * @since 0.1.0
 * @category requests
 */
export const ResetMessagesRequest = Schema.Struct({
  add_default_initial_messages: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "ResetMessagesRequest" })

/**
 * @since 0.1.0
 * @category requests
 */
export interface ResetMessagesRequest extends Schema.Schema.Type<typeof ResetMessagesRequest> {}

/**
 * New content for a stored system message.
 *
 * @since 0.1.0
 * @category message updates
 */
export const UpdateSystemMessage = Schema.Struct({
  message_type: tag("system_message"),
  content: Schema.String
}).annotations({ identifier: "UpdateSystemMessage" })

/**
 * @since 0.1.0
 * @category message updates
 */
export interface UpdateSystemMessage extends Schema.Schema.Type<typeof UpdateSystemMessage> {}

/**
 * New content for a stored user message.
 *
 * @since 0.1.0
 * @category message updates
 */
export const UpdateUserMessage = Schema.Struct({
  message_type: tag("user_message"),
  content: Schema.Union(Schema.String, Schema.Array(LettaUserMessageContentUnion))
}).annotations({ identifier: "UpdateUserMessage" })

/**
 * @since 0.1.0
 * @category message updates
 */
export interface UpdateUserMessage extends Schema.Schema.Type<typeof UpdateUserMessage> {}

/**
 * New content for a stored reasoning message.
 *
 * @since 0.1.0
 * @category message updates
 */
export const UpdateReasoningMessage = Schema.Struct({
  reasoning: Schema.String,
  message_type: tag("reasoning_message")
}).annotations({ identifier: "UpdateReasoningMessage" })

/**
 * @since 0.1.0
 * @category message updates
 */
export interface UpdateReasoningMessage extends Schema.Schema.Type<typeof UpdateReasoningMessage> {}

/**
 * New content for a stored assistant message.
 *
 * @since 0.1.0
 * @category message updates
 */
export const UpdateAssistantMessage = Schema.Struct({
  message_type: tag("assistant_message"),
  content: Schema.Union(Schema.String, Schema.Array(LettaAssistantMessageContentUnion))
}).annotations({ identifier: "UpdateAssistantMessage" })

/**
 * @since 0.1.0
 * @category message updates
 */
export interface UpdateAssistantMessage extends Schema.Schema.Type<typeof UpdateAssistantMessage> {}

/**
 * A {@link LettaRequest} as callers write it: plain objects, discriminators optional.
 *
 * @since 0.1.0
 * @category requests
 */
export interface LettaRequestEncoded extends Schema.Schema.Encoded<typeof LettaRequest> {}

/**
 * A {@link LettaAsyncRequest} as callers write it.
 *
 * @since 0.1.0
 * @category requests
 */
export interface LettaAsyncRequestEncoded extends Schema.Schema.Encoded<typeof LettaAsyncRequest> {}

/**
 * A {@link LettaStreamingRequest} as callers write it.
 *
 * @since 0.1.0
 * @category requests
 */
export interface LettaStreamingRequestEncoded extends Schema.Schema.Encoded<typeof LettaStreamingRequest> {}

/**
 * A {@link ConversationMessageRequest} as callers write it.
 *
 * @since 0.1.0
 * @category requests
 */
export interface ConversationMessageRequestEncoded extends Schema.Schema.Encoded<typeof ConversationMessageRequest> {}

/**
 * A {@link RetrieveStreamRequest} as callers write it.
 *
 * @since 0.1.0
 * @category requests
 */
export interface RetrieveStreamRequestEncoded extends Schema.Schema.Encoded<typeof RetrieveStreamRequest> {}
