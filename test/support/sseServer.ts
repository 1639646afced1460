/**
 * A scriptable SSE server on 127.0.0.1 for wire tests: each request waits for the test to
 * write frames (or any bytes, under any status and headers) and close, and the server
 * records when each socket closed (real time), so a test can check that interrupting a
 * stream closed its connection promptly.
 */
import { Effect, type Option, Queue } from "effect"
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"

export interface Exchange {
  readonly method: string
  /** The request target exactly as received (raw, not percent-decoded). */
  readonly path: string
  readonly body: string
  /**
   * Replaces the status (200) and headers (`content-type: text/event-stream`) the response
   * will have; only before the first write.
   */
  readonly head: (status: number, headers: Readonly<Record<string, string>>) => void
  /** Sends the status line and headers (with the first write, as the real server does). */
  readonly write: (data: string | Uint8Array) => void
  /** Everything written so far has been handed to the socket. */
  readonly flushed: Effect.Effect<void>
  /** Writes `chunk` over and over, as fast as the client reads, until the socket closes; the bytes written. */
  readonly flood: (chunk: Uint8Array) => Effect.Effect<number>
  readonly end: () => void
  /** Drops the connection: mid-body once something was written, else before any response. */
  readonly destroy: () => void
  /** When the client's socket closed, from `performance.now()`; undefined while open. */
  readonly closedAt: () => number | undefined
}

export const makeSseServer = Effect.gen(function*() {
  const exchanges = yield* Queue.unbounded<Exchange>()
  const sockets = new Set<Socket>()
  // When each socket closed: one listener per socket, not one per request on a kept-alive one.
  const closedAt = new WeakMap<Socket, number>()
  const server = http.createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString()))
    req.on("end", () => {
      res.on("error", () => {})
      res.statusCode = 200
      res.setHeader("content-type", "text/event-stream; charset=utf-8")
      let lastWrite: Promise<void> = Promise.resolve()
      Queue.unsafeOffer(exchanges, {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        body,
        head: (status, headers) => {
          res.statusCode = status
          res.removeHeader("content-type")
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
        },
        write: (data) => {
          if (res.destroyed) return
          lastWrite = new Promise((resolve) => res.write(data, () => resolve()))
        },
        flushed: Effect.promise(() => lastWrite),
        flood: (chunk) =>
          Effect.async<number>((resume) => {
            let written = 0
            const pump = () => {
              while (!res.destroyed && res.write(chunk)) written += chunk.length
              if (!res.destroyed) {
                written += chunk.length
                res.once("drain", pump)
              }
            }
            res.once("close", () => resume(Effect.succeed(written)))
            pump()
          }),
        end: () => res.end(),
        destroy: () => req.socket.destroy(),
        closedAt: () => closedAt.get(req.socket)
      })
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.once("close", () => {
      closedAt.set(socket, performance.now())
      sockets.delete(socket)
    })
  })
  yield* Effect.async<void>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.void))
  })
  yield* Effect.addFinalizer(() =>
    Effect.async<void>((resume) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resume(Effect.void))
    })
  )
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The next request the server received. */
    next: Queue.take(exchanges),
    /** The next request, if one has arrived. */
    poll: Queue.poll(exchanges) as Effect.Effect<Option.Option<Exchange>>,
    openSockets: Effect.sync(() => sockets.size)
  }
})
