import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import * as net from "node:net"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent } from "./helpers.js"

describe("recorded requests", () => {
  it.scoped("keep the raw path and query, redacted credentials and the body", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ apiKey: "secret" })
      const path = "/v1/agents/agent-x%2Fy/messages?limit=5&include_return_message_types=a&include_return_message_types=b%20c"
      yield* call(server, "POST", path, {
        rawBody: "{\"input\":\"héllo\"}",
        headers: { authorization: "Bearer secret", "content-type": "application/json", "x-custom": "1" }
      })
      const [request] = yield* server.requests
      expect(request).toMatchObject({
        method: "POST",
        path: "/v1/agents/agent-x%2Fy/messages",
        query: {
          raw: "limit=5&include_return_message_types=a&include_return_message_types=b%20c",
          params: { limit: ["5"], include_return_message_types: ["a", "b c"] }
        },
        body: "{\"input\":\"héllo\"}"
      })
      expect(request!.headers["authorization"]).toBe("<redacted>")
      expect(request!.headers["x-custom"]).toBe("1")
      yield* server.clearRequests
      expect(yield* server.requests).toEqual([])
    }))
})

describe("request bodies", () => {
  it.scoped("over 10 MiB are refused with 413", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const huge = JSON.stringify({ input: "x".repeat(10 * 1024 * 1024) })
      const reply = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, {
        rawBody: huge,
        headers: { "content-type": "application/json" }
      })
      expect(reply.status).toBe(413)
      expect(reply.json).toEqual({ detail: "Request body exceeds the test server's limit of 10485760 bytes" })
      // Nothing reached the agent.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(history.json).toHaveLength(1)
    }))
})

describe("auth", () => {
  it.scoped("requires the API key like the real server's password mode", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ apiKey: Redacted.make("s3cret") })
      const missing = yield* call(server, "GET", "/v1/runs/")
      expect(missing.status).toBe(401)
      expect(missing.text).toBe("{\"detail\":\"Unauthorized\"}")
      const wrong = yield* call(server, "GET", "/v1/runs/", { headers: { authorization: "Bearer nope" } })
      expect(wrong.status).toBe(401)
      // Authentication comes before routing.
      const unknownRoute = yield* call(server, "GET", "/v1/nowhere")
      expect(unknownRoute.status).toBe(401)
      const bearer = yield* call(server, "GET", "/v1/runs/", { headers: { authorization: "Bearer s3cret" } })
      expect(bearer.status).toBe(200)
      const bare = yield* call(server, "GET", "/v1/runs/", { headers: { "x-bare-password": "password s3cret" } })
      expect(bare.status).toBe(200)
    }))
})

describe("lifecycle", () => {
  it.effect("closing the scope stops the server and closes every socket", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* LettaTestServer.make().pipe(Scope.extend(scope))
      const agentId = yield* createAgent(server)
      // An async run sleeping in the server's fiber set must not hold the scope open.
      yield* call(server, "POST", `/v1/agents/${agentId}/messages/async`, { body: { input: "x" } })
      // fetch keeps its connection alive.
      expect(yield* server.openConnections).toBeGreaterThan(0)
      yield* Scope.close(scope, Exit.void)
      expect(yield* server.openConnections).toBe(0)
      // A new connection is refused...
      const refused = yield* Effect.async<string>((resume) => {
        const socket = net.createConnection({ host: "127.0.0.1", port: server.port })
        socket.once("connect", () => {
          socket.destroy()
          resume(Effect.succeed("connected"))
        })
        socket.once("error", (e: NodeJS.ErrnoException) => resume(Effect.succeed(e.code ?? "error")))
      })
      expect(refused).toBe("ECONNREFUSED")
      // ...and fetch fails, whether it notices the dead pooled socket or opens a new one.
      const failed = yield* Effect.tryPromise(() => fetch(`${server.url}/v1/runs/`)).pipe(Effect.flip)
      expect(failed._tag).toBe("UnknownException")
    }))

  it.scoped("provides the service through a layer", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.LettaTestServer
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
      const reply = yield* call(server, "GET", "/v1/runs/")
      expect(reply.status).toBe(200)
    }).pipe(Effect.provide(Layer.fresh(LettaTestServer.layer()))))
})

describe("start-up", () => {
  it.scoped("a taken port is a typed ListenError, not a crash", () =>
    Effect.gen(function*() {
      const first = yield* LettaTestServer.make()
      const error = yield* LettaTestServer.make({ port: first.port }).pipe(Effect.flip)
      expect(error._tag).toBe("ListenError")
      expect(error.message).toContain(`127.0.0.1:${first.port}`)
      expect(error.message).toMatch(/EADDRINUSE/)
    }))
})
