/**
 * A proxy on 127.0.0.1 that forwards each request to a server and can then lose the answer:
 * the server has received and handled the request (an agent turn has run), but the client
 * gets a 5xx, a dropped connection or no answer at all. This is the case where retrying a
 * send would run the turn twice; the embedded server's own faults strike before it handles
 * anything.
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** What the proxy does once the server has answered a request in full. */
export type Outcome =
  | { readonly _tag: "Pass" }
  | { readonly _tag: "Respond"; readonly status: number }
  | { readonly _tag: "Destroy" }
  | { readonly _tag: "Hang" }

export interface FaultProxy {
  readonly url: string
  /** The outcome of the next request (after that, requests pass through). */
  readonly next: (outcome: Outcome) => Effect.Effect<void>
  /** Requests the server has answered in full so far. */
  readonly handled: Effect.Effect<number>
}

export const make = (upstream: string): Effect.Effect<FaultProxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    const outcomes: Array<Outcome> = []
    let handled = 0
    const sockets = new Set<Socket>()
    const server = http.createServer((req, res) => {
      const outcome = outcomes.shift() ?? { _tag: "Pass" }
      const { host: _host, ...headers } = req.headers
      const forward = http.request(`${upstream}${req.url}`, { method: req.method, headers }, (answer) => {
        if (outcome._tag === "Pass") {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
          answer.on("end", () => handled++)
          return
        }
        // Read the whole answer first: for a stream, that is the whole turn.
        answer.resume()
        answer.on("end", () => {
          handled++
          if (outcome._tag === "Respond") {
            res.writeHead(outcome.status, { "content-type": "application/json" })
            res.end(`{"detail":"the proxy lost the answer"}`)
          } else if (outcome._tag === "Destroy") {
            req.socket.destroy()
          }
        })
      })
      forward.on("error", () => req.socket.destroy())
      req.pipe(forward)
    })
    server.on("connection", (socket: Socket) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
    })
    const port = yield* Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    })
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
    )
    return {
      url: `http://127.0.0.1:${port}`,
      next: (outcome) => Effect.sync(() => void outcomes.push(outcome)),
      handled: Effect.sync(() => handled)
    }
  })
