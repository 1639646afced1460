/**
 * Reading response bodies by hand (`src/internal/rawBody.ts`), over a loopback server, for
 * each HTTP client whose responses it recognises: every byte in order, the end after the
 * last chunk, a dropped connection as a failure after what arrived, and `release` closing
 * the connection. A response whose `stream` was replaced is left to that `stream`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Layer, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { End, type RawBody, rawBody, ReadFailure } from "../../src/internal/rawBody.js"
import { realTick } from "../support/clock.js"
import { agentId, assistant, done, stop } from "../support/frames.js"
import { makeSseServer } from "../support/sseServer.js"
import { withOwnStream } from "./harness.js"

const clients: ReadonlyArray<{ readonly name: string; readonly layer: Layer.Layer<HttpClient.HttpClient> }> = [
  { name: "NodeHttpClient (undici)", layer: NodeHttpClient.layerUndici },
  { name: "FetchHttpClient", layer: FetchHttpClient.layer },
  { name: "NodeHttpClient (node:http)", layer: NodeHttpClient.layer }
]

/** Polls `body` until it ends or fails: the text read, and how it ended. */
const readAll = (body: RawBody) =>
  Effect.async<{ readonly text: string; readonly ending: "end" | ReadFailure }>((resume) => {
    const decoder = new TextDecoder()
    let text = ""
    const step = () => {
      for (;;) {
        const next = body.poll()
        if (next === undefined) return
        if (next === End || next instanceof ReadFailure) {
          body.notify = () => {}
          return resume(Effect.succeed({ text, ending: next === End ? "end" : next }))
        }
        text += decoder.decode(next, { stream: true })
      }
    }
    body.notify = step
    step()
  })

const send = Effect.fnUntraced(function*(url: string) {
  const client = yield* HttpClient.HttpClient
  return yield* HttpClient.withScope(client).execute(HttpClientRequest.post(`${url}/stream`))
})

for (const http of clients) {
  describe(`reading bodies by hand over ${http.name}`, () => {
    it.scoped("every byte in order, then the end", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const fiber = yield* Effect.fork(Effect.flatMap(send(server.url), (response) => {
          const body = rawBody(response)
          expect(body).toBeDefined()
          return readAll(body!)
        }))
        const exchange = yield* server.next
        for (const piece of ["data: one\n", "\n", "data: tw", "o\n\n"]) {
          exchange.write(piece)
          yield* Effect.zipRight(exchange.flushed, realTick)
        }
        exchange.end()
        const result = yield* fiber.await.pipe(Effect.flatten)
        expect(result).toEqual({ text: "data: one\n\ndata: two\n\n", ending: "end" })
      }).pipe(Effect.provide(http.layer)))

    it.scoped("a dropped connection: what arrived, then a failure", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const fiber = yield* Effect.fork(Effect.flatMap(send(server.url), (response) => readAll(rawBody(response)!)))
        const exchange = yield* server.next
        exchange.write("data: partial")
        yield* exchange.flushed
        yield* realTick
        exchange.destroy()
        const result = yield* fiber.await.pipe(Effect.flatten)
        expect(result.text).toBe("data: partial")
        expect(result.ending).toBeInstanceOf(ReadFailure)
      }).pipe(Effect.provide(http.layer)))

    it.scoped("release closes the connection", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const fiber = yield* Effect.fork(Effect.flatMap(send(server.url), (response) => Effect.succeed(rawBody(response)!)))
        const exchange = yield* server.next
        exchange.write("data: first\n\n")
        const body = yield* fiber.await.pipe(Effect.flatten)
        body.release()
        body.release()
        while (exchange.closedAt() === undefined) yield* realTick
        expect(exchange.closedAt()).toBeTypeOf("number")
      }).pipe(Effect.provide(http.layer)))

    it.scoped("a response whose stream was replaced is read through it", () =>
      Effect.gen(function*() {
        const server = yield* makeSseServer
        const fiber = yield* Effect.fork(Effect.flatMap(send(server.url), (response) =>
          Effect.sync(() => {
            // The decorated one first: reading the plain one locks a fetch body, which would
            // leave the decorated one unread whatever `rawBody` thinks of it.
            const decorated = rawBody(withOwnStream(response)) !== undefined
            return [rawBody(response) !== undefined, decorated]
          })))
        const exchange = yield* server.next
        exchange.write("data: x\n\n")
        expect(yield* fiber.await.pipe(Effect.flatten)).toEqual([true, false])
        exchange.end()
      }).pipe(Effect.provide(http.layer)))
  })
}

describe("a large read", () => {
  it.scoped("is decoded a slice at a time: every event, in order, in chunks of a few KB", () =>
    Effect.gen(function*() {
      const server = yield* makeSseServer
      const client = yield* Layer.build(
        LettaClient.layer({ baseUrl: server.url }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      ).pipe(Effect.map(Context.get(LettaClient.LettaClient)))
      const fiber = yield* Effect.fork(Stream.runCollect(Stream.chunks(client.agents.messages.stream(agentId, { input: "x" }))))
      const exchange = yield* server.next
      const frames = Array.from({ length: 2_000 }, (_, i) => assistant(`token ${i}`))
      // One write of about 400 KB: undici hands it over in reads far larger than a slice.
      exchange.write(frames.join("") + stop("end_turn") + done)
      const chunks = Chunk.toReadonlyArray(yield* fiber.await.pipe(Effect.flatten))
      const contents = chunks.flatMap((chunk) =>
        Chunk.toReadonlyArray(chunk).flatMap((m) => (m.message_type === "assistant_message" ? [m.content] : []))
      )
      expect(contents).toEqual(frames.map((_, i) => `token ${i}`))
      // A frame is about 200 bytes: a slice of 8 KB completes some 40 of them.
      expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(60)
      expect(chunks.length).toBeGreaterThan(2_000 / 60)
    }))
})
