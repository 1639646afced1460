/**
 * The API key (and any header given as Redacted) must never show up in spans, logs, errors,
 * or their string, JSON and inspect forms. Every error path is driven and all of that
 * output is searched for the secrets.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import { Cause, Config, ConfigProvider, Effect, Exit, Layer, Logger, LogLevel, Redacted, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { inspect } from "node:util"
import { makeRecordingTracer } from "../support/recordingTracer.js"
import { httpClients } from "./harness.js"

const apiKey = "sk-letta-SECRET-key-0123456789"
const headerSecret = "hdr-SECRET-value-42"

const everything = (value: unknown): string => {
  const parts = [inspect(value, { depth: 20, showHidden: true, getters: true })]
  try {
    parts.push(JSON.stringify(value))
  } catch {
    // Not every value serializes; inspect already covered it.
  }
  parts.push(String(value))
  return parts.join("\n")
}

for (const http of httpClients) {
  describe(`secrets over ${http.name}`, () => {
    it.effect("never appear in spans, logs, errors or their printed forms", () =>
      Effect.gen(function*() {
        const server = yield* LettaTestServer.make({ apiKey })
        const { spans, layer: tracing } = makeRecordingTracer()
        const logs: Array<string> = []
        const logger = Logger.make(({ message, cause, annotations }) => {
          logs.push(everything({ message, cause: Cause.pretty(cause), annotations }))
        })
        const clientLayer = (key: string, baseUrl = server.url) =>
          LettaClient.layer({
            baseUrl,
            apiKey: Redacted.make(key),
            headers: { "x-extra-secret": Redacted.make(headerSecret), "x-plain": "visible" },
            // Retries without waiting, so that their logs and span events are checked too.
            retry: { initialDelay: 0 }
          }).pipe(Layer.provide(http.layer))
        const outputs: Array<string> = []
        const observe = <A, E>(effect: Effect.Effect<A, E, LettaClient.LettaClient>, key = apiKey, baseUrl?: string) =>
          effect.pipe(
            Effect.tapErrorCause((cause) => Effect.logError("operation failed", cause)),
            Effect.exit,
            Effect.tap((exit) => {
              outputs.push(everything(exit))
              if (Exit.isFailure(exit)) {
                outputs.push(Cause.pretty(exit.cause))
                for (const error of Cause.failures(exit.cause)) {
                  outputs.push(everything(error), error instanceof Error ? `${error.message}\n${error.stack}` : "")
                  outputs.push(JSON.stringify(error), inspect(error, { depth: 20 }))
                }
              }
            }),
            Effect.provide(clientLayer(key, baseUrl))
          )
        const client = LettaClient.LettaClient
        const program = Effect.gen(function*() {
          // Success: the key was really sent (the server requires it).
          const agent = yield* observe(Effect.flatMap(client, (c) => c.agents.create({ name: "s" })))
          expect(Exit.isSuccess(agent)).toBe(true)
          const agentId = Exit.isSuccess(agent) ? agent.value.id : ""
          yield* observe(Effect.flatMap(client, (c) => c.agents.messages.create(agentId, { input: "hi" })))
          yield* observe(Effect.flatMap(client, (c) => Stream.runDrain(c.agents.messages.list(agentId, { limit: 1 }))))
          // Failures of every kind.
          yield* observe(Effect.flatMap(client, (c) => c.runs.retrieve("run-x")), "sk-wrong-SECRET-key")
          yield* observe(Effect.flatMap(client, (c) => c.agents.retrieve("agent-00000000-0000-4000-8000-000000000000")))
          yield* observe(Effect.flatMap(client, (c) => c.agents.messages.create(agentId, { input: "/llm-error llm_authentication" })))
          yield* observe(Effect.flatMap(client, (c) => c.agents.messages.create(agentId, { input: "/fail" })))
          yield* observe(Effect.flatMap(client, (c) => c.agents.retrieve("..")))
          yield* server.injectFault(LettaTestServer.respond({ path: /runs/, status: 200, body: `{"id": 1}` }))
          yield* observe(Effect.flatMap(client, (c) => c.runs.retrieve("run-00000000-0000-4000-8000-000000000000")))
          yield* server.injectFault(LettaTestServer.destroy({ path: /runs/ }))
          yield* observe(Effect.flatMap(client, (c) => c.runs.retrieve("run-00000000-0000-4000-8000-000000000000")))
          yield* observe(Effect.flatMap(client, (c) => c.runs.retrieve("run-1")), apiKey, "http://127.0.0.1:1")
          // The service itself, as someone might log it.
          yield* observe(Effect.tap(client, (c) => Effect.sync(() => outputs.push(everything(c)))))
        })
        yield* program.pipe(
          Effect.provide(Layer.merge(tracing, Logger.replace(Logger.defaultLogger, logger))),
          Logger.withMinimumLogLevel(LogLevel.All)
        )

        // What a trace exporter sends: names, attributes, events, and a failure's rendering.
        // (A span's success value is the platform's own response object, which exporters
        // do not serialize.)
        const spanDump = spans.map((span) =>
          everything({
            name: span.name,
            attributes: [...span.attributes],
            events: span.events,
            failure: span.exit && Exit.isFailure(span.exit) ? Cause.pretty(span.exit.cause) : undefined
          })
        )
        const haystack = [...outputs, ...logs, ...spanDump].join("\n")
        // The checks are not vacuous: errors, logs and the HTTP spans were all captured.
        expect(haystack).toContain("AuthenticationError")
        expect(logs.length).toBeGreaterThan(5)
        expect(haystack).toContain("retrying in 0ms (attempt 2 of 3)")
        expect(spans.some((span) => span.events.some((event) => event.name === "letta.retry"))).toBe(true)
        expect(spans.some((span) => span.attributes.has("http.request.header.authorization"))).toBe(true)
        expect(spans.some((span) => span.attributes.get("http.request.header.x-plain") === "visible")).toBe(true)
        expect(spans.some((span) => span.exit && Exit.isFailure(span.exit) && span.name.startsWith("http.client")))
          .toBe(true)
        expect(haystack).not.toContain("SECRET")
        expect(haystack).not.toContain("0123456789")
      }).pipe(Effect.scoped))
  })

  describe(`secrets from the environment and in client hooks over ${http.name}`, () => {
    it.effect("custom headers from LETTA_CUSTOM_HEADERS and a transformClient's logs stay masked", () =>
      Effect.gen(function*() {
        const server = yield* LettaTestServer.make()
        const { spans, layer: tracing } = makeRecordingTracer()
        const logs: Array<string> = []
        const logger = Logger.make(({ message }) => {
          logs.push(everything(message))
        })
        // A hook that logs every request and every failure, as an app might for debugging.
        const chatty = (client: HttpClient.HttpClient) =>
          client.pipe(
            HttpClient.tapRequest((request) => Effect.logInfo("sending", request)),
            HttpClient.tapError((error) => Effect.logError("failed", error))
          )
        const env = new Map([
          ["LETTA_BASE_URL", server.url],
          ["LETTA_API_KEY", apiKey],
          ["LETTA_CUSTOM_HEADERS", `X-BARE-PASSWORD: password ${headerSecret}`]
        ])
        // One attempt, so the hook logs exactly one request and its failure.
        const layer = LettaClient.layerConfig({ transformClient: chatty, retry: Config.succeed(false) }).pipe(
          Layer.provide(http.layer)
        )
        yield* server.injectFault(LettaTestServer.destroy({ path: /runs/ }))
        const exit = yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.listPage()).pipe(
          Effect.provide(layer),
          Effect.withConfigProvider(ConfigProvider.fromMap(env)),
          Effect.provide(Layer.merge(tracing, Logger.replace(Logger.defaultLogger, logger))),
          Effect.exit
        )
        expect(Exit.isFailure(exit)).toBe(true)
        const [request] = yield* server.requests
        expect(request.headers["x-bare-password"]).toBe("<redacted>")
        const spanDump = spans.map((span) => everything([...span.attributes]))
        const haystack = [...logs, ...spanDump, everything(exit)].join("\n")
        expect(logs.length).toBe(2)
        expect(haystack).toContain("x-bare-password")
        expect(haystack).not.toContain("SECRET")
      }).pipe(Effect.scoped))
  })
}
