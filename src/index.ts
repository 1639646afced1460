/**
 * effect-letta: an Effect-native client for the Letta agents API.
 *
 * @since 0.1.0
 */

/**
 * Merges token deltas into whole messages.
 *
 * @since 0.1.0
 */
export * as Accumulator from "./Accumulator.js"

/**
 * Agents: create, retrieve, delete, and their messages.
 *
 * @since 0.1.0
 */
export * as Agents from "./Agents.js"

/**
 * Client-side tools defined with Schema, and the loop that runs them and answers approvals.
 *
 * @since 0.1.0
 */
export * as ClientTools from "./ClientTools.js"

/**
 * Conversations: threads with an agent, and their messages.
 *
 * @since 0.1.0
 */
export * as Conversations from "./Conversations.js"

/**
 * The Letta client service and its layers.
 *
 * @since 0.1.0
 */
export * as LettaClient from "./LettaClient.js"

/**
 * The library's one error type.
 *
 * @since 0.1.0
 */
export * as LettaError from "./LettaError.js"

/**
 * An agent's messages.
 *
 * @since 0.1.0
 */
export * as Messages from "./Messages.js"

/**
 * The retry policy: which failures are retried, for which requests, and how long to wait.
 *
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * Runs, their messages, steps and usage.
 *
 * @since 0.1.0
 */
export * as Runs from "./Runs.js"

/**
 * Effect Schemas for every Letta request, response and message type.
 *
 * @since 0.1.0
 */
export * as Schemas from "./Schemas.js"

/**
 * A Server-Sent Events decoder.
 *
 * @since 0.1.0
 */
export * as Sse from "./Sse.js"

/**
 * Options shared by every streaming operation.
 *
 * @since 0.1.0
 */
export * as Streaming from "./Streaming.js"
