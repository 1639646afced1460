/**
 * Agents: the minimal create / retrieve / delete an app needs to get an agent to talk to,
 * plus the agent's messages. Reached as `client.agents`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { path } from "./internal/path.js"
import { encodeInput, type Transport } from "./internal/transport.js"
import type * as LettaError from "./LettaError.js"
import * as Messages from "./Messages.js"
import { AgentState, CreateAgentRequest, DeleteAgentResponse } from "./schema/agents.js"

/**
 * The operations on `/v1/agents`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentsApi {
  /**
   * Creates an agent. `name`, `model`, `embedding`, `memory_blocks`, `system`, `tools`,
   * `tags` and `metadata` are typed; any other field of the server's `CreateAgentRequest`
   * is passed through.
   */
  readonly create: (request: CreateAgentRequest) => Effect.Effect<AgentState, LettaError.LettaError>
  /** Reads an agent. */
  readonly retrieve: (agentId: string) => Effect.Effect<AgentState, LettaError.LettaError>
  /** Deletes an agent and its history. */
  readonly delete: (agentId: string) => Effect.Effect<void, LettaError.LettaError>
  /** The agent's messages. */
  readonly messages: Messages.MessagesApi
}

/**
 * @since 0.1.0
 * @category constructors
 * @internal
 */
export const make = (transport: Transport): AgentsApi => {
  const create = Effect.fn("Agents.create")(function*(request: CreateAgentRequest) {
    const body = yield* encodeInput("Agents.create", CreateAgentRequest, request)
    const agent = yield* transport.json({
      operation: "Agents.create",
      method: "POST",
      path: path`/v1/agents/`,
      body,
      response: AgentState
    })
    yield* Effect.annotateCurrentSpan("letta.agent_id", agent.id)
    return agent
  })

  const retrieve = Effect.fn("Agents.retrieve")(function*(agentId: string) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    return yield* transport.json({
      operation: "Agents.retrieve",
      method: "GET",
      path: path`/v1/agents/${agentId}`,
      response: AgentState
    })
  })

  const delete_ = Effect.fn("Agents.delete")(function*(agentId: string) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    yield* transport.json({
      operation: "Agents.delete",
      method: "DELETE",
      path: path`/v1/agents/${agentId}`,
      response: DeleteAgentResponse
    })
  })

  return { create, retrieve, delete: delete_, messages: Messages.make(transport) }
}
