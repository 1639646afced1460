/**
 * An in-memory `HttpClient` that answers every request with a scripted response: a status,
 * headers, and body chunks delivered exactly as cut, followed by a clean end, a dropped
 * connection or silence (until the request is aborted, as a real client's body would be).
 * It runs the whole client path (request building, status mapping, SSE, JSON, schemas, time
 * limits) without sockets, so a fuzz test can afford thousands of cases; the wire tests run
 * the same cases over loopback.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer } from "effect"
import { LettaClient } from "effect-letta"
import type { Ending } from "./streamOracle.js"

export interface ScriptedResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Any iterable: a generator makes a body without end. */
  readonly chunks: Iterable<Uint8Array>
  readonly ending: Ending
}

export interface Script {
  /** The response to the next request(s). */
  next: ScriptedResponse
  /** The URLs requested, in order. */
  readonly requests: Array<string>
  /** How many body bytes the client has pulled so far (all requests). */
  pulled: number
}

const body = (script: Script, response: ScriptedResponse, signal: AbortSignal) => {
  const chunks = response.chunks[Symbol.iterator]()
  return new ReadableStream<Uint8Array>({
    // One chunk per pull, so the client sees the chunks as cut (an `error()` after enqueuing
    // everything at once would discard what was queued), and reads no further than it asks.
    pull(controller) {
      const next = chunks.next()
      if (next.done !== true) {
        script.pulled += next.value.length
        controller.enqueue(next.value)
        return
      }
      switch (response.ending) {
        case "end":
          return controller.close()
        case "drop":
          return controller.error(new Error("other side closed"))
        case "silent":
          return new Promise<void>((resolve) => {
            const abort = () => {
              controller.error(signal.reason ?? new Error("aborted"))
              resolve()
            }
            if (signal.aborted) abort()
            else signal.addEventListener("abort", abort, { once: true })
          })
      }
    }
  }, { highWaterMark: 0 })
}

/** A script, and a `LettaClient` layer whose every request it answers. */
export const scriptedClient = (options?: Omit<LettaClient.Options, "baseUrl">) => {
  const script: Script = {
    next: { status: 200, headers: {}, chunks: [], ending: "end" },
    requests: [],
    pulled: 0
  }
  // Each answer waits for one turn of the event loop, as a real one does: without it a long
  // property runs on microtasks alone, and vitest's worker cannot answer its own RPC calls.
  const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
  const http = HttpClient.make((request, url, signal) =>
    Effect.zipRight(turn, Effect.sync(() => {
      script.requests.push(url.toString())
      const response = script.next
      // Statuses that cannot carry a body (a `Response` refuses one) get none.
      const bodiless = request.method === "HEAD" || [204, 205, 304].includes(response.status)
      const source = new Response(bodiless ? null : body(script, response, signal), {
        status: response.status,
        headers: response.headers
      })
      return HttpClientResponse.fromWeb(request, source)
    }))
  )
  const layer = LettaClient.layer({ retry: false, ...options, baseUrl: "http://127.0.0.1:1" }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, http)),
    Layer.orDie
  )
  return { script, layer }
}
