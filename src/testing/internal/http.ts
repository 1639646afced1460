/**
 * The `node:http` side: one Effect per request, run on the runtime captured
 * when the server was made (so handlers see the caller's Clock) and tracked in
 * the server's FiberSet (so closing the scope interrupts them).
 *
 * Per request: read the body (capped), record it, apply an injected fault if
 * one matches, check the password like `CheckPasswordMiddleware`, route, run
 * the handler and write its response (or, under a `Cut` fault, cut it off).
 */
import type { Random } from "effect"
import { Effect, Option } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Socket } from "node:net"
import type { RecordedRequest } from "../LettaTestServer.js"
import * as Errors from "./errors.js"
import * as Faults from "./faults.js"
import type { Request } from "./request.js"
import { unquote } from "./request.js"
import type { Response } from "./response.js"
import * as Router from "./router.js"
import type { ServerState } from "./state.js"
import { stringify } from "./wire.js"

export const maxBodyBytes = 10 * 1024 * 1024

/** One SSE response as it went out. */
export interface StreamLogEntry {
  readonly connectionId: number
  readonly path: string
  readonly runId: string | null
  /** the events actually written to the socket, in order */
  readonly frames: Array<string>
  /** the server is done with the response (body ended or abandoned, run finalized) */
  done: boolean
}

export interface HttpContext {
  readonly state: ServerState
  readonly apiKey: string | undefined
  readonly faults: Array<Faults.QueuedFault>
  /** the seeded PRNG random cuts draw from */
  readonly random: Random.Random
  readonly recorded: Array<RecordedRequest>
  /** the number each socket got in the connection log */
  readonly connectionIds: WeakMap<Socket, number>
  readonly streams: Array<StreamLogEntry>
}

type Body = { readonly _tag: "Complete"; readonly bytes: Uint8Array } | { readonly _tag: "TooLarge" }

/** Reads the whole body; beyond the cap it keeps draining (so the connection stays usable) but drops the data. */
const readBody = (req: IncomingMessage): Effect.Effect<Option.Option<Body>> =>
  Effect.async<Option.Option<Body>>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBodyBytes) chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Option.some(
        size > maxBodyBytes ? { _tag: "TooLarge" } : { _tag: "Complete", bytes: new Uint8Array(Buffer.concat(chunks)) }
      )))
    }
    const onAbort = () => {
      cleanup()
      resume(Effect.succeed(Option.none()))
    }
    const cleanup = () => {
      req.off("data", onData)
      req.off("end", onEnd)
      req.off("error", onAbort)
      req.off("close", onClose)
    }
    const onClose = () => {
      if (!req.complete) onAbort()
    }
    req.on("data", onData)
    req.once("end", onEnd)
    req.once("error", onAbort)
    req.once("close", onClose)
    return Effect.sync(cleanup)
  })

const redactedHeaders = new Set(["authorization", "x-bare-password"])

const record = (req: IncomingMessage, rawPath: string, rawQuery: string, body: Uint8Array): RecordedRequest => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers[name] = redactedHeaders.has(name) ? "<redacted>" : Array.isArray(value) ? value.join(", ") : value
  }
  const params: Record<string, Array<string>> = {}
  for (const [key, value] of new URLSearchParams(rawQuery)) (params[key] ??= []).push(value)
  return {
    method: req.method ?? "GET",
    path: rawPath,
    query: { raw: rawQuery, params },
    headers,
    body: new TextDecoder().decode(body)
  }
}

// CheckPasswordMiddleware lets the health probes through.
const openPaths = new Set(["/v1/health", "/v1/health/", "/latest/health/", "/v1/ready", "/v1/ready/", "/latest/ready", "/latest/ready/"])

const authorized = (ctx: HttpContext, req: IncomingMessage, path: string): boolean =>
  ctx.apiKey === undefined ||
  openPaths.has(path) ||
  req.headers["x-bare-password"] === `password ${ctx.apiKey}` ||
  req.headers["authorization"] === `Bearer ${ctx.apiKey}`

const baseHeaders = { server: "uvicorn" }

const writeJson = (res: ServerResponse, status: number, body: unknown, headers?: Readonly<Record<string, string>>) => {
  const text = stringify(body)
  res.writeHead(status, {
    ...baseHeaders,
    ...headers,
    "content-length": Buffer.byteLength(text),
    "content-type": "application/json"
  })
  res.end(text)
}

// Once the client (or `/cut`) destroyed the socket, writes are dropped while the run goes on.
const gone = (res: ServerResponse) => res.destroyed || res.socket === null || res.socket.destroyed

/** What was written still reaches the client; then the connection drops mid-body. */
const endConnection = (req: IncomingMessage) =>
  Effect.async<void>((resume) => {
    const socket = req.socket
    if (socket.destroyed) return resume(Effect.void)
    let resumed = false
    const closed = () => {
      if (resumed) return
      resumed = true
      socket.destroy()
      resume(Effect.void)
    }
    socket.once("close", closed)
    socket.end(closed)
  })

/**
 * Writes a handler's response. `cutAfter` (from a `Cut` fault) drops the
 * connection after that many SSE events, or instead of any other response;
 * either way the handler has already run, so the run goes on as if the
 * client had gone away.
 */
const write = (
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  cutAfter: number | undefined
): Effect.Effect<void> => {
  if (cutAfter !== undefined && response._tag !== "Sse") return Effect.sync(() => req.socket.destroy())
  switch (response._tag) {
    case "Json":
      return Effect.sync(() => writeJson(res, response.status, response.body, response.headers))
    case "Raw":
      return Effect.sync(() => {
        res.writeHead(response.status, {
          ...baseHeaders,
          ...response.headers,
          "content-length": Buffer.byteLength(response.body)
        })
        res.end(response.body)
      })
    case "Sse": {
      const entry: StreamLogEntry = {
        connectionId: ctx.connectionIds.get(req.socket) ?? -1,
        path: req.url ?? "",
        runId: response.runId,
        frames: [],
        done: false
      }
      ctx.streams.push(entry)
      const destroy = endConnection(req)
      const body = response.body({
        write: (frame) =>
          Effect.suspend(() => {
            if (gone(res)) return Effect.void
            res.write(frame)
            entry.frames.push(frame)
            return entry.frames.length === cutAfter ? destroy : Effect.void
          }),
        destroy
      })
      return Effect.sync(() => {
        res.statusCode = 200
        res.setHeader("server", baseHeaders.server)
        res.setHeader("content-type", "text/event-stream; charset=utf-8")
      }).pipe(
        Effect.zipRight(cutAfter === 0 ? Effect.zipRight(destroy, body) : body),
        Effect.ensuring(Effect.sync(() => {
          if (!gone(res)) res.end()
          entry.done = true
        }))
      )
    }
  }
}

const errorResponse = (error: Errors.HttpError): Response => ({
  _tag: "Json",
  status: error.status,
  body: error.body,
  headers: error.headers
})

/** Held until the client closes the connection; closing the server interrupts it. */
const hang = (req: IncomingMessage) =>
  Effect.async<void>((resume) => {
    if (req.socket.destroyed) return resume(Effect.void)
    req.socket.once("close", () => resume(Effect.void))
  })

/** The whole life of one HTTP request. */
export const handle = (ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Effect.Effect<void> => {
  // Set by a `Cut` fault; the defect handler below honours it too.
  let cutAfter: number | undefined
  return Effect.gen(function*() {
    // A failed write (the peer went away) must not crash the process.
    req.on("error", () => {})
    res.on("error", () => {})
    const target = req.url ?? "/"
    const queryAt = target.indexOf("?")
    let rawPath = queryAt === -1 ? target : target.slice(0, queryAt)
    const rawQuery = queryAt === -1 ? "" : target.slice(queryAt + 1)
    // An absolute-form target (proxies) still routes by its path.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rawPath)) rawPath = new URL(rawPath).pathname
    const method = (req.method ?? "GET").toUpperCase()

    const body = yield* readBody(req)
    if (Option.isNone(body)) return
    const bytes = body.value._tag === "Complete" ? body.value.bytes : new Uint8Array()
    ctx.recorded.push(record(req, rawPath, rawQuery, bytes))

    const fault = Faults.take(ctx.faults, method, rawPath)
    switch (fault?._tag) {
      case "Destroy":
        req.socket.destroy()
        return
      case "Hang":
        return yield* hang(req)
      case "Respond":
        res.writeHead(fault.status, fault.headers ?? {})
        res.end(fault.body ?? "")
        return
      case "Delay":
        yield* Effect.sleep(fault.duration)
        break
      case "Cut":
        cutAfter = yield* Faults.cutPoint(ctx.random, fault)
        break
    }
    const answer = (response: Response) => write(ctx, req, res, response, cutAfter)

    const path = unquote(rawPath)
    if (!authorized(ctx, req, path)) return yield* answer(errorResponse(Errors.unauthorized()))
    if (body.value._tag === "TooLarge") {
      res.setHeader("connection", "close")
      return yield* answer(errorResponse(Errors.bodyTooLarge(maxBodyBytes)))
    }

    const matched = Router.match(method, path, rawQuery, `http://${req.headers.host ?? "127.0.0.1"}`)
    if (matched._tag === "Error") return yield* answer(errorResponse(matched.error))
    if (matched._tag === "Response") return yield* answer(matched.response)

    const request: Request = {
      method,
      rawPath,
      path,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
      body: bytes
    }
    const response = yield* matched.handler(ctx.state, request, matched.params).pipe(
      Effect.catchAll((error) => Effect.succeed(errorResponse(error)))
    )
    yield* answer(response)
  }).pipe(
    // A bug in a handler is what the real server's catch-all handler reports.
    Effect.catchAllDefect(() =>
      Effect.sync(() => {
        if (!res.headersSent && cutAfter === undefined) writeJson(res, 500, { detail: "An unknown error occurred" })
        else res.destroy()
      })
    )
  )
}
