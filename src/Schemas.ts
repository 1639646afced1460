/**
 * Effect Schemas for every request, response and message type of the Letta agents
 * messages, runs and conversations APIs. Names are the OpenAPI component names without
 * their Python module prefixes and `-Input`/`-Output` suffixes; field names are as on the
 * wire (snake_case).
 *
 * Decoding accepts what the real server sends (explicit `null`s, dates with `+00:00`, `Z`
 * or no offset, `tool_calls` as an array or a single delta, string-or-parts content) and
 * ignores unknown extra fields. Encoding always writes every union member's discriminator.
 *
 * @since 0.1.0
 */
/**
 * Agents: the state of an agent and what creating one takes.
 *
 * @since 0.1.0
 * @category agents
 */
export * from "./schema/agents.js"
/**
 * Content parts: text, images, tool calls and returns, reasoning.
 *
 * @since 0.1.0
 * @category content
 */
export * from "./schema/content.js"
/**
 * Conversations and what creating one takes.
 *
 * @since 0.1.0
 * @category conversations
 */
export * from "./schema/conversations.js"
/**
 * The message unions: `LettaMessage`, the streaming-only messages and their parts.
 *
 * @since 0.1.0
 * @category messages
 */
export * from "./schema/messages.js"
/**
 * Model settings and compaction requests.
 *
 * @since 0.1.0
 * @category model settings
 */
export * from "./schema/modelSettings.js"
/**
 * Query parameters of the list endpoints.
 *
 * @since 0.1.0
 * @category params
 */
export * from "./schema/params.js"
/**
 * Request bodies: messages to send, sends, async sends, stream resumes.
 *
 * @since 0.1.0
 * @category requests
 */
export * from "./schema/requests.js"
/**
 * Response bodies: `LettaResponse` and the other replies.
 *
 * @since 0.1.0
 * @category responses
 */
export * from "./schema/responses.js"
/**
 * Runs, steps, usage and the run callback.
 *
 * @since 0.1.0
 * @category runs
 */
export * from "./schema/runs.js"
/**
 * Tool calls, tool returns and approval decisions.
 *
 * @since 0.1.0
 * @category tools
 */
export * from "./schema/tools.js"
