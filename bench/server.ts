/**
 * The benchmark's loopback server: answers every POST with a prepared SSE body, either as
 * fast as the socket takes it, so the clients are what is measured, or paced like a model
 * streaming tokens, so that many streams are open at once for a while.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** How the server writes a body. */
export interface Pace {
  /** one frame of every open response per tick */
  readonly everyMs: number
}

export const serve = async (bodyFor: (path: string) => Buffer, pace?: Pace) => {
  // Paced responses, each with its frames still to write; one timer serves them all.
  const paced = new Map<http.ServerResponse, Array<Buffer>>()
  const ticker = pace === undefined ? undefined : setInterval(() => {
    for (const [res, frames] of paced) {
      const frame = frames.shift()
      if (frame !== undefined) res.write(frame)
      if (frames.length === 0) {
        res.end()
        paced.delete(res)
      }
    }
  }, pace.everyMs)
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const body = bodyFor(req.url ?? "/")
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" })
      if (pace !== undefined && !(req.url ?? "").includes("warm")) {
        paced.set(res, framesOf(body))
        res.once("close", () => paced.delete(res))
        return
      }
      // Written in 64 KiB slices, honouring backpressure, like a real streaming server.
      let offset = 0
      const pump = () => {
        while (offset < body.length) {
          const end = Math.min(offset + 65_536, body.length)
          const ok = res.write(body.subarray(offset, end))
          offset = end
          if (!ok) {
            res.once("drain", pump)
            return
          }
        }
        res.end()
      }
      pump()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      if (ticker !== undefined) clearInterval(ticker)
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A body's SSE frames, each with its blank line. */
const framesOf = (body: Buffer): Array<Buffer> => {
  const frames: Array<Buffer> = []
  let start = 0
  for (let end = body.indexOf("\n\n", start); end !== -1; end = body.indexOf("\n\n", start)) {
    frames.push(body.subarray(start, end + 2))
    start = end + 2
  }
  return frames
}
