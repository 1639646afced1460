/**
 * The API key (and any header given as Redacted) must never show up in spans, logs, errors,
 * or their string, JSON, inspect and `Cause.pretty` forms. Every error the client has is
 * provoked against the embedded server on 127.0.0.1 (each `LettaError` tag, checked to be
 * all of them), with every log line, every span with its attributes and events, and every
 * error's renderings captured; all of it is searched for the secrets.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Cause, Config, ConfigProvider, type Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Redacted, Schema, Stream } from "effect"
import { ClientTools, LettaClient, type LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { inspect } from "node:util"
import { httpClients } from "../client/harness.js"
import { driveUntilDone } from "../support/clock.js"
import { lettaErrorTags } from "../support/fuzz.js"
import { makeRecordingTracer } from "../support/recordingTracer.js"
import { renderings } from "../support/render.js"

const apiKey = "sk-letta-SECRET-key-0123456789"
const wrongKey = "sk-wrong-SECRET-key-9876543210"
const headerSecret = "hdr-SECRET-value-42"
/** What must appear nowhere: every secret, and distinctive parts of them. */
const secrets = ["SECRET", "0123456789", "9876543210", "value-42"]

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

const expectNoSecret = (haystack: string) => {
  for (const secret of secrets) expect(haystack).not.toContain(secret)
}

const unknownRun = "run-00000000-0000-4000-8000-000000000000"

for (const http of httpClients) {
  describe(`secrets over ${http.name}`, () => {
    it.effect("never appear in spans, logs, errors or their printed forms, on any error path", () =>
      Effect.gen(function*() {
        const server = yield* LettaTestServer.make({ apiKey })
        const { spans, layer: tracing } = makeRecordingTracer()
        const logs: Array<string> = []
        const logger = Logger.make(({ annotations, cause, message, spans: logSpans }) => {
          logs.push(everything({ message, cause: Cause.pretty(cause), annotations, spans: logSpans }))
        })
        const clientLayer = (key: string, baseUrl = server.url, timeout: Duration.DurationInput = "10 minutes") =>
          LettaClient.layer({
            baseUrl,
            apiKey: Redacted.make(key),
            headers: { "x-extra-secret": Redacted.make(headerSecret), "x-plain": "visible" },
            timeout,
            // Retries without waiting, so that their logs and span events are checked too.
            retry: { initialDelay: 0 }
          }).pipe(Layer.provide(http.layer))
        const outputs: Array<string> = []
        const tags = new Set<string>()
        /** Runs `effect` with a client, recording its exit and every rendering of its error. */
        const observe = <A, E>(
          effect: Effect.Effect<A, E, LettaClient.LettaClient>,
          options: { readonly key?: string; readonly baseUrl?: string; readonly timeout?: Duration.DurationInput } = {}
        ) =>
          Effect.gen(function*() {
            const fiber = yield* effect.pipe(
              Effect.tapErrorCause((cause) => Effect.logError("operation failed", cause)),
              Effect.exit,
              Effect.provide(clientLayer(options.key ?? apiKey, options.baseUrl, options.timeout)),
              Effect.fork
            )
            // Async runs, polls and time limits wait on the TestClock.
            yield* driveUntilDone(fiber, "10 seconds", "1 hour")
            const exit = yield* Fiber.join(fiber)
            outputs.push(everything(exit))
            if (Exit.isFailure(exit)) {
              outputs.push(Cause.pretty(exit.cause))
              for (const error of Cause.failures(exit.cause)) {
                tags.add((error as { _tag: string })._tag)
                outputs.push(...renderings(error))
              }
            }
            return exit
          })
        const client = LettaClient.LettaClient
        const program = Effect.gen(function*() {
          // Success: the key was really sent (the server requires it).
          const agent = yield* observe(Effect.flatMap(client, (c) => c.agents.create({ name: "s" })))
          expect(Exit.isSuccess(agent)).toBe(true)
          const agentId = Exit.isSuccess(agent) ? agent.value.id : ""
          const send = (input: string) => Effect.flatMap(client, (c) => c.agents.messages.create(agentId, { input }))
          const stream = (input: string) =>
            Effect.flatMap(client, (c) => Stream.runDrain(c.agents.messages.stream(agentId, { input }, { resume: false })))
          // Each step starts without the faults of the one before.
          const inject = (fault: LettaTestServer.Fault) => Effect.zipRight(server.clearFaults, server.injectFault(fault))
          const fault = (status: number, body = `{"detail":"canned ${status}"}`) =>
            inject(LettaTestServer.respond({ path: /^\/v1\/runs\//, status, body }))
          const retrieveRun = Effect.flatMap(client, (c) => c.runs.retrieve(unknownRun))
          yield* observe(send("hi"))
          yield* observe(Effect.flatMap(client, (c) => Stream.runDrain(c.agents.messages.list(agentId, { limit: 1 }))))
          yield* observe(stream("hello"))

          // Every HTTP status error.
          yield* observe(Effect.flatMap(client, (c) => c.runs.retrieve("foo"))) // 400
          yield* observe(retrieveRun, { key: wrongKey }) // 401
          yield* observe(send("/llm-error llm_insufficient_credits")) // 402
          yield* fault(403)
          yield* observe(retrieveRun) // 403
          yield* observe(Effect.flatMap(client, (c) => c.agents.retrieve("agent-00000000-0000-4000-8000-000000000000"))) // 404
          yield* fault(409, JSON.stringify({ detail: "CONFLICT: … (run_id=run-1) is currently being processed", run_id: "run-1" }))
          yield* observe(retrieveRun) // 409
          yield* fault(410)
          yield* observe(retrieveRun) // 410
          yield* observe(Effect.flatMap(client, (c) => c.agents.retrieve("agent-x"))) // 422
          yield* observe(send("/llm-error llm_rate_limit")) // 429
          yield* observe(send("/fail")) // 500
          yield* inject(LettaTestServer.serverErrors({ path: /^\/v1\/runs\//, status: 503, times: 3 }))
          yield* observe(retrieveRun) // 503, retried to the end
          yield* fault(405)
          yield* observe(retrieveRun) // 405

          // Transport failures, time limits, bodies that do not decode, invalid input.
          yield* inject(LettaTestServer.destroy({ path: /^\/v1\/runs\//, times: 3 }))
          yield* observe(retrieveRun)
          yield* observe(retrieveRun, { baseUrl: "http://127.0.0.1:1" })
          yield* inject(LettaTestServer.hang({ path: /^\/v1\/runs\// }))
          yield* observe(retrieveRun, { timeout: "30 seconds" })
          yield* inject(LettaTestServer.hang({ method: "POST", path: `/v1/agents/${agentId}/messages` }))
          yield* observe(stream("no headers")) // the headers time limit
          yield* fault(200, `{"id": 1}`)
          yield* observe(retrieveRun)
          yield* observe(Effect.flatMap(client, (c) => c.agents.retrieve("..")))
          yield* server.clearFaults

          // Stream endings.
          yield* observe(stream("oops /end error-after-output"))
          const cancelled = yield* observe(stream("stop /end cancelled"))
          yield* observe(stream("cut short /cut 2"))

          // Runs: failed, cancelled, not streamable.
          yield* observe(Effect.flatMap(client, (c) => c.agents.messages.createAsyncAndAwait(agentId, { input: "/fail" })))
          const cancelledRun = Exit.isFailure(cancelled)
            ? (Cause.failures(cancelled.cause).pipe((errors) => [...errors][0]) as { runId?: string }).runId
            : undefined
          expect(cancelledRun).toMatch(/^run-/)
          yield* observe(Effect.flatMap(client, (c) => c.runs.await(cancelledRun!)))
          yield* observe(Effect.flatMap(client, (c) => Stream.runDrain(c.runs.stream(cancelledRun!))))

          // Tool loops: an approval nobody may give (then given, on resuming), a round too many.
          const calc = ClientTools.toolkit(ClientTools.make("calculator", {
            parameters: Schema.Struct({}),
            handler: () => Effect.succeed(1)
          }))
          const required = yield* observe(
            ClientTools.send(agentId, { input: `/tool delete_records {"table":"t"}` }, { toolkit: calc })
          )
          const waiting = Exit.isFailure(required) ? [...Cause.failures(required.cause)][0] : undefined
          expect(waiting?._tag).toBe("ApprovalRequiredError")
          yield* observe(ClientTools.resume(agentId, waiting as LettaError.ApprovalRequiredError, {
            toolkit: calc,
            approve: () => Effect.succeed(ClientTools.approve)
          }))
          yield* observe(ClientTools.send(agentId, { input: "/tool calculator {} /rounds 2" }, { toolkit: calc, maxRounds: 1 }))

          // The service itself, as someone might log it.
          yield* observe(Effect.tap(client, (c) => Effect.sync(() => outputs.push(everything(c)))))
        })
        yield* program.pipe(
          Effect.provide(Layer.merge(tracing, Logger.replace(Logger.defaultLogger, logger))),
          Logger.withMinimumLogLevel(LogLevel.All)
        )

        // Every error the client has was provoked.
        expect([...lettaErrorTags].filter((tag) => !tags.has(tag))).toEqual([])

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
        expect(logs.length).toBeGreaterThan(20)
        expect(haystack).toContain("retrying in 0ms (attempt 2 of 3)")
        expect(spans.some((span) => span.events.some((event) => event.name === "letta.retry"))).toBe(true)
        expect(spans.some((span) => span.attributes.has("http.request.header.authorization"))).toBe(true)
        expect(spans.some((span) => span.attributes.get("http.request.header.x-plain") === "visible")).toBe(true)
        expect(spans.some((span) => span.attributes.get("http.request.header.x-extra-secret") !== undefined)).toBe(true)
        expect(spans.some((span) => span.exit && Exit.isFailure(span.exit) && span.name.startsWith("http.client")))
          .toBe(true)
        expectNoSecret(haystack)
      }).pipe(Effect.scoped), 60_000)
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
        expectNoSecret(haystack)
      }).pipe(Effect.scoped))
  })
}

describe("secrets in configuration errors", () => {
  /** Builds the client layer and returns every rendering of how it failed. */
  const buildFails = (layer: Layer.Layer<LettaClient.LettaClient, unknown, never>, env: Record<string, string> = {}) =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(layer).pipe(
        Effect.scoped,
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      return [everything(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""].join("\n")
    })
  const options = (options: LettaClient.Options) => LettaClient.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici))
  const config = LettaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))

  it.effect("a rejected key or secret header is not shown in the error", () =>
    Effect.gen(function*() {
      const rejected = [
        yield* buildFails(options({ apiKey: Redacted.make(`${apiKey}\r\nX-Injected: 1`) })),
        yield* buildFails(options({ headers: { "x-secret": Redacted.make(`${headerSecret}\n`) } })),
        yield* buildFails(config, { LETTA_API_KEY: `${apiKey}\n` }),
        yield* buildFails(config, { LETTA_CUSTOM_HEADERS: `X-Token: ${headerSecret}\rX-Injected: 1` }),
        // A line without its colon may be nothing but a secret: it was shown whole.
        yield* buildFails(config, { LETTA_CUSTOM_HEADERS: `X-Ok: 1\nAuthorization Bearer ${apiKey}` })
      ]
      expect(rejected[4]).toContain(`line 2: expected "Name: value"`)
      expectNoSecret(rejected.join("\n"))
    }))
})
