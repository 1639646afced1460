/**
 * Query parameters of the list and cancel endpoints. Arrays are sent as repeated keys
 * (`a=1&a=2`), which is what the server reads.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { MessageType, StopReasonType } from "./messages.js"
import { RunStatus } from "./runs.js"

/**
 * `asc` (oldest first) or `desc` (newest first).
 *
 * @since 0.1.0
 * @category params
 */
export const SortOrder = Schema.Literal("asc", "desc").annotations({ identifier: "SortOrder" })

/**
 * @since 0.1.0
 * @category params
 */
export type SortOrder = typeof SortOrder.Type

const pageFields = {
  before: Schema.optional(Schema.String),
  after: Schema.optional(Schema.String),
  limit: Schema.optional(Schema.Int.pipe(Schema.positive())),
  order: Schema.optional(SortOrder),
  order_by: Schema.optional(Schema.Literal("created_at"))
}

/**
 * Query of `GET /v1/agents/{agent_id}/messages`. Cursors are message ids and absolute:
 * `after` means newer, `before` older, whatever the `order`. `limit`
 * counts stored messages, each of which may expand into several `LettaMessage`s.
 *
 * @since 0.1.0
 * @category params
 */
export const MessageListParams = Schema.Struct({
  ...pageFields,
  group_id: Schema.optional(Schema.String),
  conversation_id: Schema.optional(Schema.String),
  use_assistant_message: Schema.optional(Schema.Boolean),
  assistant_message_tool_name: Schema.optional(Schema.String),
  assistant_message_tool_kwarg: Schema.optional(Schema.String),
  include_err: Schema.optional(Schema.Boolean),
  include_return_message_types: Schema.optional(Schema.Array(MessageType))
}).annotations({ identifier: "MessageListParams" })

/**
 * @since 0.1.0
 * @category params
 */
export interface MessageListParams extends Schema.Schema.Type<typeof MessageListParams> {}

/**
 * Query of `GET /v1/conversations/{conversation_id}/messages`. Unlike the agents endpoint,
 * `desc` pages really are newest first — except for the `default` conversation, which pages
 * like the agents endpoint and requires `agent_id`.
 *
 * @since 0.1.0
 * @category params
 */
export const ConversationMessageListParams = Schema.Struct({
  ...pageFields,
  agent_id: Schema.optional(Schema.String),
  group_id: Schema.optional(Schema.String),
  include_err: Schema.optional(Schema.Boolean),
  include_return_message_types: Schema.optional(Schema.Array(MessageType))
}).annotations({ identifier: "ConversationMessageListParams" })

/**
 * @since 0.1.0
 * @category params
 */
export interface ConversationMessageListParams extends Schema.Schema.Type<typeof ConversationMessageListParams> {}

/**
 * Query of `GET /v1/runs/`. Cursors are run ids; the server reads them opposite to the
 * spec's wording (`before` continues in the sort order, `after` goes back). With `active` and
 * no `statuses`, only created and running runs are listed.
 *
 * @since 0.1.0
 * @category params
 */
export const RunListParams = Schema.Struct({
  agent_id: Schema.optional(Schema.String),
  agent_ids: Schema.optional(Schema.Array(Schema.String)),
  statuses: Schema.optional(Schema.Array(RunStatus)),
  background: Schema.optional(Schema.Boolean),
  stop_reason: Schema.optional(StopReasonType),
  conversation_id: Schema.optional(Schema.String),
  before: Schema.optional(Schema.String),
  after: Schema.optional(Schema.String),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000))),
  order: Schema.optional(SortOrder),
  order_by: Schema.optional(Schema.Literal("created_at")),
  active: Schema.optional(Schema.Boolean),
  ascending: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "RunListParams" })

/**
 * @since 0.1.0
 * @category params
 */
export interface RunListParams extends Schema.Schema.Type<typeof RunListParams> {}

/**
 * Query of `GET /v1/runs/{run_id}/messages`. The default order here is `asc`, and cursors
 * are absolute as on the agents endpoint.
 *
 * @since 0.1.0
 * @category params
 */
export const RunMessageListParams = Schema.Struct(pageFields).annotations({ identifier: "RunMessageListParams" })

/**
 * @since 0.1.0
 * @category params
 */
export interface RunMessageListParams extends Schema.Schema.Type<typeof RunMessageListParams> {}

/**
 * Query of `GET /v1/runs/{run_id}/steps`. The default order is `desc`; cursors are step ids
 * relative to the sort order (`after` continues in it).
 *
 * @since 0.1.0
 * @category params
 */
export const RunStepListParams = Schema.Struct(pageFields).annotations({ identifier: "RunStepListParams" })

/**
 * @since 0.1.0
 * @category params
 */
export interface RunStepListParams extends Schema.Schema.Type<typeof RunStepListParams> {}

/**
 * Query of `POST /v1/conversations/{conversation_id}/cancel`: `agent_id` selects the agent
 * when the conversation id is `default`.
 *
 * @since 0.1.0
 * @category params
 */
export const ConversationCancelParams = Schema.Struct({ agent_id: Schema.optional(Schema.String) }).annotations({
  identifier: "ConversationCancelParams"
})

/**
 * @since 0.1.0
 * @category params
 */
export interface ConversationCancelParams extends Schema.Schema.Type<typeof ConversationCancelParams> {}
