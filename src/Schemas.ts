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
export * from "./schema/agents.js"
export * from "./schema/content.js"
export * from "./schema/conversations.js"
export * from "./schema/messages.js"
export * from "./schema/modelSettings.js"
export * from "./schema/params.js"
export * from "./schema/requests.js"
export * from "./schema/responses.js"
export * from "./schema/runs.js"
export * from "./schema/tools.js"
