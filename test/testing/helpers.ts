import type { Scope } from "effect"
import { Effect } from "effect"
import * as http from "node:http"
import type { LettaTestServer } from "effect-letta/testing"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

export interface CallOptions {
  readonly body?: unknown
  /** sent verbatim instead of JSON-encoding `body` */
  readonly rawBody?: string | undefined
  readonly headers?: Record<string, string> | undefined
  readonly redirect?: RequestRedirect | undefined
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** One request with Node's global fetch; never follows the agent's SDK conventions implicitly. */
export const call = (
  server: LettaTestServer.Service,
  method: string,
  path: string,
  options: CallOptions = {}
): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    const hasBody = options.rawBody !== undefined || options.body !== undefined
    const res = await fetch(server.url + path, {
      method,
      redirect: options.redirect ?? "follow",
      headers: {
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...options.headers
      },
      ...(hasBody ? { body: options.rawBody ?? JSON.stringify(options.body) } : {})
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, json: parse(text) }
  })

/** A request with `node:http`, which (unlike fetch) sends no User-Agent unless told to. */
export const rawCall = (
  server: LettaTestServer.Service,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {}
): Effect.Effect<{ readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly text: string }> =>
  Effect.async((resume) => {
    const payload = JSON.stringify(body)
    const req = http.request(server.url + path, {
      method,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8")
        })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end(payload)
  })

export const createAgent = (server: LettaTestServer.Service, body: Record<string, unknown> = {}) =>
  call(server, "POST", "/v1/agents/", { body: { name: "test-agent", ...body } }).pipe(
    Effect.filterOrDieMessage((r) => r.status === 200, "creating the test agent failed"),
    Effect.map((r) => r.json.id as string)
  )

/** Parse an SSE body into its frames (`event` defaults to "message"). */
export const sseFrames = (text: string): Array<{ event: string; data: string }> =>
  text.split("\n\n").filter((block) => block !== "").map((block) => {
    let event = "message"
    const data: Array<string> = []
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7)
      else if (line.startsWith("data: ")) data.push(line.slice(6))
    }
    return { event, data: data.join("\n") }
  })

export const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export const unknownAgentId = "agent-00000000-0000-4000-8000-000000000000"
export const unknownRunId = "run-00000000-0000-4000-8000-000000000000"

/** How an SSE body went on: one more event (its exact text), a clean end, or a dropped connection. */
export type SseRead =
  | { readonly _tag: "Event"; readonly text: string }
  | { readonly _tag: "Eof" }
  | { readonly _tag: "Reset"; readonly partial: string }

export interface SseConnection {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  /** the next event block (`...\n\n` included) as received, or how the body ended */
  readonly next: Effect.Effect<SseRead>
  /** the remaining events and how the body ended */
  readonly drain: Effect.Effect<{ readonly events: ReadonlyArray<string>; readonly end: "Eof" | "Reset" }>
  /** every byte received so far, decoded */
  readonly received: () => string
  /** the client gives up: destroys its socket */
  readonly destroy: Effect.Effect<void>
}

/**
 * POSTs `body` on a fresh connection with `node:http` and reads the response
 * incrementally, so a test can interleave reads with `TestClock.adjust`.
 * Resolves once the status line has arrived (for SSE: with the first event).
 */
export const openSse = (
  server: LettaTestServer.Service,
  path: string,
  body: unknown,
  headers: Record<string, string> = {}
): Effect.Effect<SseConnection, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<SseConnection>((resume) => {
      const payload = JSON.stringify(body)
      const reads: Array<SseRead> = []
      const waiting: Array<(read: SseRead) => void> = []
      let buffer = ""
      let all = ""
      let ended = false
      const push = (read: SseRead) => {
        const waiter = waiting.shift()
        if (waiter !== undefined) waiter(read)
        else reads.push(read)
      }
      const finish = (read: SseRead) => {
        if (ended) return
        ended = true
        push(read)
      }
      const req = http.request(server.url + path, {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          "x-stainless-package-version": "1.12.0",
          ...headers
        }
      }, (res) => {
        const decoder = new TextDecoder()
        res.on("data", (chunk: Buffer) => {
          const text = decoder.decode(chunk, { stream: true })
          all += text
          buffer += text
          let at: number
          while ((at = buffer.indexOf("\n\n")) !== -1) {
            push({ _tag: "Event", text: buffer.slice(0, at + 2) })
            buffer = buffer.slice(at + 2)
          }
        })
        res.on("end", () => finish(buffer === "" ? { _tag: "Eof" } : { _tag: "Reset", partial: buffer }))
        res.on("error", () => finish({ _tag: "Reset", partial: buffer }))
        res.on("close", () => finish({ _tag: "Reset", partial: buffer }))
        const next: Effect.Effect<SseRead> = Effect.async((resumeRead) => {
          const read = reads.shift()
          if (read !== undefined) return resumeRead(Effect.succeed(read))
          if (ended && reads.length === 0) return resumeRead(Effect.succeed({ _tag: "Eof" }))
          waiting.push((r) => resumeRead(Effect.succeed(r)))
        })
        const drain = Effect.gen(function*() {
          const events: Array<string> = []
          while (true) {
            const read = yield* next
            if (read._tag === "Event") events.push(read.text)
            else return { events, end: read._tag === "Eof" ? "Eof" as const : "Reset" as const }
          }
        })
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          headers: res.headers,
          next,
          drain,
          received: () => all,
          destroy: Effect.sync(() => req.destroy())
        }))
      })
      req.on("error", (e) => resume(Effect.die(e)))
      req.end(payload)
    }),
    (connection) => connection.destroy
  )

/** Lets Node run its pending I/O once (not a timer): for polling the server's own state. */
export const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Polls `probe` (between event-loop turns) until it yields a value. */
export const eventually = <A>(probe: Effect.Effect<A | undefined>): Effect.Effect<A> =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      const value = yield* probe
      if (value !== undefined) return value
      yield* turn
    }
    return yield* Effect.dieMessage("condition never held")
  })

/** `Message.generate_otid_from_id`, written independently of the server's version. */
export const otidOf = (messageId: string, index: number): string => {
  const hex = messageId.slice("message-".length).replace(/-/g, "")
  const value = (BigInt(`0x${hex}`) >> 7n << 7n) + BigInt(index)
  const h = value.toString(16).padStart(32, "0")
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-")
}
