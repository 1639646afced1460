/**
 * A scriptable SSE server on 127.0.0.1 for wire tests: each request waits for the test to
 * write frames and close, and the server records when each socket closed (real time), so a
 * test can check that interrupting a stream closed its connection promptly.
 */
import { Effect, type Option, Queue } from "effect"
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"

export interface Exchange {
  readonly method: string
  readonly path: string
  readonly body: string
  /** Sends the status line and headers (with the first write, as the real server does). */
  readonly write: (text: string) => void
  readonly end: () => void
  /** Drops the connection: mid-body once something was written, else before any response. */
  readonly destroy: () => void
  /** When the client's socket closed, from `performance.now()`; undefined while open. */
  readonly closedAt: () => number | undefined
}

export const makeSseServer = Effect.gen(function*() {
  const exchanges = yield* Queue.unbounded<Exchange>()
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString()))
    req.on("end", () => {
      let closedAt: number | undefined
      req.socket.once("close", () => (closedAt = performance.now()))
      res.on("error", () => {})
      res.statusCode = 200
      res.setHeader("content-type", "text/event-stream; charset=utf-8")
      Queue.unsafeOffer(exchanges, {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        body,
        write: (text) => {
          if (!res.destroyed) res.write(text)
        },
        end: () => res.end(),
        destroy: () => req.socket.destroy(),
        closedAt: () => closedAt
      })
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
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
