/**
 * The one outgoing request the test server makes: a run's callback POST, sent
 * the way the real server's `httpx.AsyncClient().post(url, json=..., timeout=5.0)`
 * sends it, and refused for any host that is not this machine's loopback.
 *
 * httpx's timeout bounds each wait (connect, write, every read) rather than
 * the whole exchange, so here every wait for the next thing to happen on the
 * connection is bounded by `timeout`, measured with the Effect Clock (so
 * `TestClock` drives it). Failures are reported as the `repr()` of the
 * exception httpx would raise, since that is what the real server stores.
 */
import type { Duration } from "effect"
import { Effect, Option, Queue } from "effect"
import * as http from "node:http"
import type { LookupFunction } from "node:net"
import { reprString } from "./pyrepr.js"

export type PostOutcome =
  /** the receiver answered (any status) and its body was read to the end */
  | { readonly _tag: "Answered"; readonly status: number }
  /** the exchange failed; `error` is the `repr()` of httpx's exception */
  | { readonly _tag: "Failed"; readonly error: string }
  /** nothing was sent; `reason` says why */
  | { readonly _tag: "Refused"; readonly reason: string }

const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"])

/**
 * `localhost` is resolved here rather than by DNS, so a hosts file cannot send
 * the request anywhere but loopback; both families are offered, IPv4 first.
 */
const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) {
    callback(null, [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }])
  } else {
    callback(null, "127.0.0.1", 4)
  }
}

const pyException = (name: string, message: string) => `${name}(${reprString(message)})`

type Target =
  | { readonly _tag: "Ok"; readonly url: URL }
  | { readonly _tag: "Failed"; readonly error: string }
  | { readonly _tag: "Refused"; readonly reason: string }

const target = (raw: string): Target => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { _tag: "Failed", error: pyException("UnsupportedProtocol", "Request URL is missing an 'http://' or 'https://' protocol.") }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { _tag: "Failed", error: pyException("UnsupportedProtocol", `Request URL has an unsupported protocol '${url.protocol}//'.`) }
  }
  if (!loopbackHosts.has(url.hostname)) {
    return {
      _tag: "Refused",
      reason: `not sent: the test server only sends callbacks to loopback hosts (127.0.0.1, ::1, localhost), not ${url.hostname}`
    }
  }
  if (url.protocol === "https:") {
    return { _tag: "Refused", reason: "not sent: the test server sends callbacks over plain http only" }
  }
  return { _tag: "Ok", url }
}

type Progress =
  | { readonly _tag: "Connected" }
  | { readonly _tag: "Head"; readonly response: http.IncomingMessage }
  | { readonly _tag: "Data"; readonly bytes: number }
  | { readonly _tag: "End" }
  /** the connection failed before a response arrived */
  | { readonly _tag: "RequestError"; readonly error: NodeJS.ErrnoException }
  /** the connection went away before the body was complete */
  | { readonly _tag: "Cut" }

// Node's connect-phase errors; httpx (anyio) reports them all as one ConnectError.
const connectErrors = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EAFNOSUPPORT"])

/**
 * POSTs `body` as JSON to a loopback `url` with httpx's default headers and
 * no credentials, reads the whole response, then closes the connection (the
 * real server opens a fresh client per callback).
 */
export const post = (raw: string, body: string, timeout: Duration.Duration): Effect.Effect<PostOutcome> => {
  const resolved = target(raw)
  if (resolved._tag !== "Ok") return Effect.succeed(resolved)
  const url = resolved.url
  return Effect.acquireUseRelease(
    Effect.gen(function*() {
      const progress = yield* Queue.unbounded<Progress>()
      const report = (event: Progress) => void Queue.unsafeOffer(progress, event)
      const req = http.request({
        host: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port === "" ? 80 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "POST",
        agent: false,
        lookup: loopbackLookup,
        headers: {
          host: url.host,
          accept: "*/*",
          "accept-encoding": "gzip, deflate",
          connection: "keep-alive",
          "user-agent": "python-httpx/0.28.1",
          "content-length": String(Buffer.byteLength(body)),
          "content-type": "application/json"
        }
      })
      req.once("socket", (socket) => socket.once("connect", () => report({ _tag: "Connected" })))
      req.once("response", (response) => {
        report({ _tag: "Head", response })
        response.on("data", (chunk: Buffer) => report({ _tag: "Data", bytes: chunk.length }))
        response.once("end", () => report({ _tag: "End" }))
        // A body cut short is reported by "close" below; the error itself must not go unhandled.
        response.on("error", () => {})
        response.once("close", () => {
          if (!response.complete) report({ _tag: "Cut" })
        })
      })
      req.on("error", (error) => report({ _tag: "RequestError", error }))
      req.end(body)
      return { req, progress }
    }),
    ({ progress }) =>
      Effect.gen(function*() {
        let connected = false
        let response: http.IncomingMessage | undefined
        let received = 0
        while (true) {
          const next = yield* Effect.timeoutOption(Queue.take(progress), timeout)
          if (Option.isNone(next)) {
            return { _tag: "Failed", error: pyException(connected ? "ReadTimeout" : "ConnectTimeout", "") } as const
          }
          const event = next.value
          switch (event._tag) {
            case "Connected":
              connected = true
              break
            case "Head":
              response = event.response
              break
            case "Data":
              received += event.bytes
              break
            case "End":
              return { _tag: "Answered", status: response?.statusCode ?? 0 } as const
            case "RequestError": {
              // After the head, the body's own events tell what happened.
              if (response !== undefined) break
              const error = !connected && connectErrors.has(event.error.code ?? "")
                ? pyException("ConnectError", "All connection attempts failed")
                : pyException("RemoteProtocolError", "Server disconnected without sending a response.")
              return { _tag: "Failed", error } as const
            }
            case "Cut": {
              const expected = response?.headers["content-length"]
              const detail = expected === undefined
                ? "incomplete chunked read"
                : `received ${received} bytes, expected ${expected}`
              return {
                _tag: "Failed",
                error: pyException(
                  "RemoteProtocolError",
                  `peer closed connection without sending complete message body (${detail})`
                )
              } as const
            }
          }
        }
      }),
    ({ req }) => Effect.sync(() => req.destroy())
  )
}
