/**
 * The minimal agent schemas the client needs to create, read and delete agents. An agent's
 * full state has well over a hundred fields; `AgentState` types the common ones and keeps
 * the rest as they came.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { JsonObject, nullable, OtherFields } from "../internal/schemaFields.js"

/**
 * An agent as the server returns it: the common fields typed, every other field kept as
 * received.
 *
 * @since 0.1.0
 * @category agents
 */
export const AgentState = Schema.Struct(
  {
    id: Schema.String,
    name: Schema.String,
    system: Schema.optional(Schema.String),
    agent_type: Schema.optional(Schema.String),
    description: nullable(Schema.String),
    model: nullable(Schema.String),
    embedding: nullable(Schema.String),
    tags: Schema.optional(Schema.Array(Schema.String)),
    metadata: nullable(JsonObject)
  },
  OtherFields
).annotations({ identifier: "AgentState" })

/**
 * @since 0.1.0
 * @category agents
 */
export interface AgentState extends Schema.Schema.Type<typeof AgentState> {}

/**
 * A memory block to create with an agent.
 *
 * @since 0.1.0
 * @category agents
 */
export const CreateBlock = Schema.Struct(
  {
    label: Schema.String,
    value: Schema.String,
    limit: Schema.optional(Schema.Int),
    description: nullable(Schema.String),
    read_only: Schema.optional(Schema.Boolean)
  },
  OtherFields
).annotations({ identifier: "CreateBlock" })

/**
 * @since 0.1.0
 * @category agents
 */
export interface CreateBlock extends Schema.Schema.Type<typeof CreateBlock> {}

/**
 * The body of `POST /v1/agents/`. The common fields are typed; any other field of the
 * server's `CreateAgentRequest` is passed through as given.
 *
 * @since 0.1.0
 * @category agents
 */
export const CreateAgentRequest = Schema.Struct(
  {
    name: Schema.optional(Schema.String),
    model: nullable(Schema.String),
    embedding: nullable(Schema.String),
    memory_blocks: nullable(Schema.Array(CreateBlock)),
    system: nullable(Schema.String),
    tools: nullable(Schema.Array(Schema.String)),
    tags: nullable(Schema.Array(Schema.String)),
    metadata: nullable(JsonObject)
  },
  OtherFields
).annotations({ identifier: "CreateAgentRequest" })

/**
 * @since 0.1.0
 * @category agents
 */
export interface CreateAgentRequest extends Schema.Schema.Type<typeof CreateAgentRequest> {}

/**
 * The body of `DELETE /v1/agents/{agent_id}`.
 *
 * @since 0.1.0
 * @category agents
 */
export const DeleteAgentResponse = Schema.Struct({ message: Schema.optional(Schema.String) }, OtherFields)
  .annotations({ identifier: "DeleteAgentResponse" })

/**
 * @since 0.1.0
 * @category agents
 */
export interface DeleteAgentResponse extends Schema.Schema.Type<typeof DeleteAgentResponse> {}
