/**
 * Conversations: separate message threads of one agent. Like `AgentState`, a conversation
 * types its common fields and keeps the rest as received.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { LettaDate, nullable, OtherFields } from "../internal/schemaFields.js"
import { ModelSettings } from "./modelSettings.js"

/**
 * A conversation (`conv-<uuid>`) of an agent.
 *
 * @since 0.1.0
 * @category conversations
 */
export const Conversation = Schema.Struct(
  {
    id: Schema.String,
    agent_id: Schema.String,
    summary: nullable(Schema.String),
    created_at: nullable(LettaDate),
    updated_at: nullable(LettaDate),
    last_message_at: nullable(LettaDate),
    in_context_message_ids: Schema.optional(Schema.Array(Schema.String)),
    model: nullable(Schema.String)
  },
  OtherFields
).annotations({ identifier: "Conversation" })

/**
 * @since 0.1.0
 * @category conversations
 */
export interface Conversation extends Schema.Schema.Type<typeof Conversation> {}

/**
 * The body of `POST /v1/conversations/`.
 *
 * @since 0.1.0
 * @category conversations
 */
export const CreateConversation = Schema.Struct({
  summary: nullable(Schema.String),
  isolated_block_labels: nullable(Schema.Array(Schema.String)),
  model: nullable(Schema.String),
  model_settings: nullable(ModelSettings)
}).annotations({ identifier: "CreateConversation" })

/**
 * @since 0.1.0
 * @category conversations
 */
export interface CreateConversation extends Schema.Schema.Type<typeof CreateConversation> {}
