/**
 * The benchmark's loopback server: answers every POST with a prepared SSE body as fast as
 * the socket takes it, so the clients are what is measured.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export const serve = async (bodyFor: (path: string) => Buffer) => {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const body = bodyFor(req.url ?? "/")
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" })
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
