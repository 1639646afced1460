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
