/**
 * @since 0.1.0
 */

/**
 * An in-process, Letta-compatible server on 127.0.0.1 with a scripted model,
 * fault injection and request recording.
 *
 * @since 0.1.0
 */
export * as LettaTestServer from "./LettaTestServer.js"
