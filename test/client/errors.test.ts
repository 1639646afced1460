import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { LettaClient, type LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { httpClients, serverAndClient, services } from "./harness.js"

const agentOf = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "errors" }))

/** Sends `input` to a fresh agent and returns the error. */
const sendFails = (input: string) =>
  Effect.gen(function*() {
    const { client } = yield* services
    const agent = yield* agentOf
    return yield* client.agents.messages.create(agent.id, { input }).pipe(Effect.flip)
  })

/** Makes the next request to `path` get a canned response, and returns the error it causes. */
const cannedFails = (response: { status: number; body?: string; headers?: Record<string, string> }) =>
  Effect.gen(function*() {
    const { client, server } = yield* services
    yield* server.injectFault(LettaTestServer.respond({ path: /^\/v1\/runs\//, ...response }))
    return yield* client.runs.retrieve("run-00000000-0000-4000-8000-000000000000").pipe(Effect.flip)
  })

const httpFields = (error: LettaError.LettaError) => (error as LettaError.HttpError)

for (const http of httpClients) {
  describe(`errors over ${http.name}`, () => {
    // One attempt per call: these tests are about how each failure maps (retry.test.ts
    // covers which are retried).
    const layer = serverAndClient(http.layer, {}, { retry: false })

    it.effect("LLM provider failures map by status, with the server's `error` envelope", () =>
      Effect.gen(function*() {
        const cases = [
          ["llm_bad_request", "BadRequestError", 400],
          ["llm_authentication", "AuthenticationError", 401],
          ["llm_insufficient_credits", "PaymentRequiredError", 402],
          ["llm_rate_limit", "RateLimitError", 429],
          ["llm_error", "ServerError", 500],
          ["mcp_connection_error", "ServerError", 502],
          ["llm_timeout", "ServerError", 504]
        ] as const
        for (const [type, tag, status] of cases) {
          const error = httpFields(yield* sendFails(`/llm-error ${type}`))
          expect([error._tag, error.status, error.error?.type]).toEqual([tag, status, type])
          expect(error.message).toContain(`${status}`)
          expect(error.message).toContain("POST /v1/agents/")
        }
      }).pipe(Effect.provide(layer)))

    it.effect("server errors keep the server's `detail`", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const failed = httpFields(yield* sendFails("/fail"))
        expect([failed._tag, failed.status, failed.detail]).toEqual(["ServerError", 500, "An unknown error occurred"])
        const malformedRun = httpFields(yield* client.runs.retrieve("foo").pipe(Effect.flip))
        expect(malformedRun._tag).toBe("BadRequestError")
        expect(malformedRun.detail).toMatch(/^INVALID_ARGUMENT: Invalid run ID format: foo/)
        const unknownRun = httpFields(
          yield* client.runs.retrieve("run-00000000-0000-4000-8000-000000000000").pipe(Effect.flip)
        )
        expect(unknownRun._tag).toBe("NotFoundError")
        const malformedAgent = httpFields(yield* client.agents.retrieve("agent-x").pipe(Effect.flip))
        expect(malformedAgent._tag).toBe("UnprocessableEntityError")
        expect(typeof malformedAgent.detail).toBe("string")
      }).pipe(Effect.provide(layer)))

    it.effect("403, 410 and statuses without a class of their own", () =>
      Effect.gen(function*() {
        expect((yield* cannedFails({ status: 403, body: `{"detail":"Forbidden"}` }))._tag).toBe("PermissionDeniedError")
        const gone = httpFields(yield* cannedFails({
          status: 410,
          body: `{"detail": "EXPIRED: Run was created more than 3 hours ago, and is now expired."}`
        }))
        expect(gone._tag).toBe("GoneError")
        expect(gone.message).toContain("EXPIRED")
        for (const status of [405, 413, 499]) {
          const error = httpFields(yield* cannedFails({ status, body: `{"detail":"x"}` }))
          expect([error._tag, error.status]).toEqual(["UnexpectedStatusError", status])
        }
      }).pipe(Effect.provide(layer)))

    it.effect("409s say what they are about, with the run id when the server gives one", () =>
      Effect.gen(function*() {
        const busy = yield* cannedFails({
          status: 409,
          body: JSON.stringify({
            detail:
              "CONFLICT: Cannot send a new message: Another request (run_id=run-1) is currently being processed for this conversation. Please wait for it to complete.",
            run_id: "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"
          })
        })
        expect(busy._tag === "ConflictError" && [busy.reason, busy.runId]).toEqual([
          "conversation_busy",
          "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"
        ])
        const pending = yield* cannedFails({
          status: 409,
          body: JSON.stringify({
            detail: { code: "PENDING_APPROVAL", message: "CONFLICT: … waiting for approval …", pending_request_id: "message-9" }
          })
        })
        expect(pending._tag === "ConflictError" && [pending.reason, pending.pendingRequestId]).toEqual([
          "pending_approval",
          "message-9"
        ])
        expect(pending.message).toContain("waiting for approval")
        const locked = yield* cannedFails({
          status: 409,
          headers: { "retry-after": "1" },
          body: `{"detail": "The resource is currently locked by another operation. Please retry shortly."}`
        })
        expect(locked._tag === "ConflictError" && locked.reason).toBe("other")
        expect(httpFields(locked).retryAfter).toEqual(Duration.seconds(1))
      }).pipe(Effect.provide(layer)))

    it.effect("Retry-After in seconds, as an HTTP date, and retry-after-ms; the request id", () =>
      Effect.gen(function*() {
        const seconds = httpFields(yield* cannedFails({ status: 429, headers: { "retry-after": "7" }, body: "{}" }))
        expect(seconds.retryAfter).toEqual(Duration.seconds(7))
        expect(seconds.message).toContain("retry after 7s")
        const millis = httpFields(yield* cannedFails({ status: 503, headers: { "retry-after-ms": "250", "retry-after": "9" } }))
        expect(millis.retryAfter).toEqual(Duration.millis(250))
        // The test clock reads 0, so the date's distance from the epoch is the wait.
        const date = httpFields(yield* cannedFails({ status: 503, headers: { "retry-after": new Date(90_000).toUTCString() } }))
        expect(date.retryAfter).toEqual(Duration.millis(90_000))
        const garbage = httpFields(yield* cannedFails({ status: 503, headers: { "retry-after": "soon" } }))
        expect(garbage.retryAfter).toBeUndefined()
        const withId = httpFields(yield* cannedFails({ status: 500, headers: { "x-request-id": "req-42" }, body: "{}" }))
        expect(withId.requestId).toBe("req-42")
        expect(withId.message).toContain("request id req-42")
      }).pipe(Effect.provide(layer)))

    it.effect("bodies of every shape: HTML from a proxy, empty, huge, not JSON", () =>
      Effect.gen(function*() {
        const html = httpFields(yield* cannedFails({
          status: 502,
          headers: { "content-type": "text/html" },
          body: "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
        }))
        expect([html._tag, html.body, html.bodyExcerpt?.startsWith("<html>")]).toEqual(["ServerError", undefined, true])
        expect(html.message).toContain("502 Bad Gateway")
        const empty = httpFields(yield* cannedFails({ status: 500, body: "" }))
        expect([empty._tag, empty.body, empty.bodyExcerpt, empty.detail]).toEqual([
          "ServerError",
          undefined,
          undefined,
          undefined
        ])
        const huge = httpFields(yield* cannedFails({ status: 500, body: "x".repeat(5_000_000) }))
        expect(huge.bodyExcerpt?.length).toBeLessThanOrEqual(1_000)
        expect(huge.message.length).toBeLessThan(1_000)
        const hugeJson = httpFields(yield* cannedFails({ status: 500, body: JSON.stringify({ detail: "y".repeat(200_000) }) }))
        // Too big to keep whole: an excerpt, not a parsed body.
        expect([hugeJson.body, hugeJson.bodyExcerpt?.length]).toEqual([undefined, 1_000])
      }).pipe(Effect.provide(layer)))

    it.effect("a 200 that is not the expected JSON is a DecodeError with an excerpt", () =>
      Effect.gen(function*() {
        const notJson = yield* cannedFails({ status: 200, body: "<!doctype html><p>maintenance</p>" })
        expect(notJson._tag).toBe("DecodeError")
        expect(notJson._tag === "DecodeError" && notJson.excerpt).toContain("maintenance")
        const wrongShape = yield* cannedFails({
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: "run-1", agent_id: 42 })
        })
        expect(wrongShape._tag).toBe("DecodeError")
        expect(wrongShape.message).toContain("agent_id")
      }).pipe(Effect.provide(layer)))

    it.effect("a dropped connection is a TransportError", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        yield* server.injectFault(LettaTestServer.destroy({ path: /^\/v1\/runs\// }))
        const error = yield* client.runs.retrieve("run-00000000-0000-4000-8000-000000000000").pipe(Effect.flip)
        expect(error._tag).toBe("TransportError")
        expect(error._tag === "TransportError" && error.phase).toBe("request")
      }).pipe(Effect.provide(layer)))

    it.effect("a refused connection is a TransportError naming the cause", () =>
      Effect.gen(function*() {
        // A port that was just free: a server bound and released it.
        const port = yield* Effect.scoped(Effect.map(LettaTestServer.make(), (server) => server.port))
        const error = yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.retrieve("run-1")).pipe(
          Effect.flip,
          Effect.provide(LettaClient.layer({ baseUrl: `http://127.0.0.1:${port}`, retry: false }).pipe(Layer.provide(http.layer)))
        )
        expect(error._tag === "TransportError" && error.phase).toBe("connect")
        expect(error.message).toMatch(/ECONNREFUSED|fetch failed|connect/i)
      }))

    it.effect("a server that requires a key answers 401 without it", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const error = yield* client.runs.listPage().pipe(Effect.flip)
        expect(error._tag).toBe("AuthenticationError")
        expect(httpFields(error).detail).toBe("Unauthorized")
      }).pipe(Effect.provide(serverAndClient(http.layer, { apiKey: "sk-test" }))))
  })
}
