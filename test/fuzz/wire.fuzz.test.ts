/**
 * The stream fuzz cases of `stream.fuzz.test.ts` over a real loopback connection, for each
 * HttpClient the library supports: a scripted server (`support/sseServer.ts`) writes the
 * case's bytes in its chunks (TCP merges and splits them as it likes), then ends the body,
 * drops the connection or goes silent. The outcome must match the same oracle. Error bodies
 * of every shape go over the wire too, including one without end.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Context, Effect, FastCheck as fc, Layer, Stream } from "effect"
import { LettaClient, type LettaError } from "effect-letta"
import { httpClients, withOwnStream } from "../client/harness.js"
import { realTick } from "../support/clock.js"
import { loadCorpus } from "../support/corpus.js"
import { agentId } from "../support/frames.js"
import { cutAt, expectTyped, runs, timeoutFor } from "../support/fuzz.js"
import { makeSseServer } from "../support/sseServer.js"
import { cuts, matches, realCase, runStreamCase } from "../support/streamCases.js"

const corpus = await Effect.runPromise(loadCorpus)
const encoder = new TextEncoder()

class Server extends Context.Tag("test/wire.fuzz/Server")<Server, Effect.Effect.Success<typeof makeSseServer>>() {}

const serverAndClient = (http: (typeof httpClients)[number]["layer"]) =>
  Layer.unwrapEffect(Effect.map(Server, (server) => LettaClient.layer({ baseUrl: server.url, retry: false }))).pipe(
    Layer.provideMerge(Layer.scoped(Server, makeSseServer)),
    Layer.provide(http),
    Layer.orDie
  )

/**
 * Undici's and fetch's bodies are read by hand (see `src/internal/rawBody.ts`); so is
 * `node:http`'s `IncomingMessage`. A response whose `stream` an app replaced is read through
 * that `stream` instead: all four paths must behave alike.
 */
const decorated = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(
    HttpClient.HttpClient,
    HttpClient.transformResponse(Effect.map(withOwnStream))
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const wireClients = [
  ...httpClients,
  { name: "NodeHttpClient (node:http)", layer: NodeHttpClient.layer },
  { name: "a client whose responses have their own stream", layer: decorated }
]

for (const http of wireClients) {
  describe(`wire fuzz over ${http.name}`, () => {
    it.layer(serverAndClient(http.layer))((it) => {
      it.effect.prop(
        "real streams, mutated, truncated, written in random pieces, ending every way",
        [realCase(corpus), cuts, fc.boolean()],
        ([input, cuts, flushEach]) =>
          Effect.gen(function*() {
            const server = yield* Server
            const outcome = yield* runStreamCase(input, {
              serve: Effect.gen(function*() {
                const exchange = yield* server.next
                for (const chunk of cutAt(input.bytes, cuts)) {
                  // An empty write would still send the headers; a chunk is never empty.
                  if (chunk.length === 0) continue
                  exchange.write(chunk)
                  // Waiting for each piece to leave makes separate TCP segments more likely.
                  if (flushEach) yield* Effect.zipRight(exchange.flushed, realTick)
                }
                // Whatever was written reaches the client before the ending.
                yield* exchange.flushed
                if (input.ending === "end") exchange.end()
                if (input.ending === "drop") exchange.destroy()
              })
            })
            if (input.bytes.length === 0 && input.ending === "drop") {
              // Nothing written: the connection dropped before any response.
              expect([outcome.received, outcome.error?._tag]).toEqual([[], "TransportError"])
            } else {
              matches(outcome)
            }
          }),
        {
          timeout: timeoutFor("wireStreams", 200),
          fastCheck: { numRuns: Math.ceil(runs("wireStreams") / wireClients.length) }
        }
      )

      const call = (operation: "retrieve" | "stream") =>
        Effect.flatMap(LettaClient.LettaClient, (client) =>
          operation === "retrieve"
            ? client.runs.retrieve("run-1")
            : Stream.runDrain(client.agents.messages.stream(agentId, { input: "x" })))

      /** Answers the next request with `status`, `headers` and `body`, then `ending`. */
      const errorCase = (
        operation: "retrieve" | "stream",
        status: number,
        headers: Record<string, string>,
        body: string | Uint8Array,
        ending: "end" | "drop" = "end"
      ) =>
        Effect.gen(function*() {
          const server = yield* Server
          const fiber = yield* Effect.fork(Effect.exit(call(operation)))
          const exchange = yield* server.next
          exchange.head(status, headers)
          if (body.length > 0) exchange.write(body)
          yield* exchange.flushed
          if (ending === "end") exchange.end()
          else exchange.destroy()
          const error = expectTyped(yield* fiber.await.pipe(Effect.flatten)) as LettaError.HttpError
          return error
        })

      it.effect("error bodies of every shape, over the wire", () =>
        Effect.gen(function*() {
          for (const operation of ["retrieve", "stream"] as const) {
            for (const status of [502, 503, 504]) {
              const page = `<html><head><title>${status} Gateway trouble</title></head><body>cloudflare</body></html>`
              const html = yield* errorCase(operation, status, { "content-type": "text/html" }, page)
              expect([html._tag, html.status, html.body]).toEqual(["ServerError", status, undefined])
              expect(html.bodyExcerpt).toBe(page)
              expect(html.message).toContain(`${status} Gateway trouble`)
            }
            const empty = yield* errorCase(operation, 500, {}, "")
            expect([empty._tag, empty.bodyExcerpt, empty.body]).toEqual(["ServerError", undefined, undefined])
            const plainJson = yield* errorCase(operation, 404, { "content-type": "text/plain" }, `{"detail":"Agent not found"}`)
            expect([plainJson._tag, plainJson.detail]).toEqual(["NotFoundError", "Agent not found"])
            const notObject = yield* errorCase(operation, 422, { "content-type": "application/json" }, `[1, "two"]`)
            expect([notObject._tag, notObject.body, notObject.detail]).toEqual(["UnprocessableEntityError", [1, "two"], undefined])
            const binary = yield* errorCase(operation, 500, { "content-type": "application/octet-stream" }, Uint8Array.from([0xff, 0, 0xc3, 0x28, 0x1b]))
            expect(binary.bodyExcerpt).toBe("\ufffd\u0000\ufffd(\u001b")
            const huge = yield* errorCase(operation, 503, { "content-type": "text/html" }, "y".repeat(5_000_000))
            expect([huge._tag, huge.bodyExcerpt?.length]).toEqual(["ServerError", 1_000])
            const cut = yield* errorCase(operation, 502, { "content-type": "text/html" }, "<html><title>502 Bad Gateway</title>", "drop")
            expect([cut._tag, cut.bodyExcerpt]).toEqual(["ServerError", "<html><title>502 Bad Gateway</title>"])
          }
        }), 60_000)

      it.effect("an error body without end is read up to its bound, and the connection is closed", () =>
        Effect.gen(function*() {
          const server = yield* Server
          for (const operation of ["retrieve", "stream"] as const) {
            const fiber = yield* Effect.fork(Effect.exit(call(operation)))
            const exchange = yield* server.next
            exchange.head(502, { "content-type": "text/html" })
            const flooded = yield* Effect.fork(exchange.flood(encoder.encode("<p>".padEnd(16 * 1024, "z"))))
            const error = expectTyped(yield* fiber.await.pipe(Effect.flatten)) as LettaError.HttpError
            expect([error._tag, error.bodyExcerpt?.length]).toEqual(["ServerError", 1_000])
            // The server stops only because the client closed the connection.
            yield* flooded.await
            expect(exchange.closedAt()).toBeDefined()
          }
        }))
    })
  })
}
