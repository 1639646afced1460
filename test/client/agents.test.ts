import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { httpClients, serverAndClient, services } from "./harness.js"

for (const http of httpClients) {
  describe(`agents over ${http.name}`, () => {
    it.effect("creates, retrieves and deletes an agent", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* client.agents.create({
          name: "tester",
          model: "openai/gpt-4o-mini",
          memory_blocks: [{ label: "human", value: "Ada" }],
          tags: ["a", "b"],
          metadata: { team: "x" },
          // Not typed by the client, passed through as given.
          include_base_tools: false
        })
        expect(agent.id).toMatch(/^agent-[0-9a-f-]{36}$/)
        expect(agent.name).toBe("tester")
        expect(agent.tags).toEqual(["a", "b"])
        const again = yield* client.agents.retrieve(agent.id)
        expect(again.id).toBe(agent.id)
        yield* client.agents.delete(agent.id)
        const gone = yield* client.agents.retrieve(agent.id).pipe(Effect.flip)
        expect(gone._tag).toBe("NotFoundError")
        expect(gone.message).toContain(agent.id)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("sends the passed-through fields and the User-Agent", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        yield* client.agents.create({ name: "x", include_base_tools: false })
        const [request] = yield* server.requests
        expect(request.method).toBe("POST")
        expect(request.path).toBe("/v1/agents/")
        expect(JSON.parse(request.body)).toEqual({ name: "x", include_base_tools: false })
        expect(request.headers["user-agent"]).toMatch(/^effect-letta\/\d+\.\d+\.\d+/)
        expect(request.headers["accept"]).toBe("application/json")
        expect(request.headers["content-type"]).toMatch(/^application\/json/)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a malformed agent id is the server's 422, a well-formed unknown one its 404", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const malformed = yield* client.agents.retrieve("agent-nope").pipe(Effect.flip)
        expect(malformed._tag).toBe("UnprocessableEntityError")
        const unknown = yield* client.agents.retrieve("agent-00000000-0000-4000-8000-000000000000").pipe(Effect.flip)
        expect(unknown._tag).toBe("NotFoundError")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("an id can never change the request path", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "victim" })
        yield* server.clearRequests
        // Each of these would reach another endpoint or another agent if it were sent: the
        // server decodes `%2F` before routing, and URL parsing collapses dot segments.
        const tricky = [
          `${agent.id}/messages`,
          `${agent.id}%2Fmessages`,
          `${agent.id}/archival-memory/passage-1`,
          `x?id=${agent.id}`,
          `x#${agent.id}`,
          "..",
          ".",
          "",
          "%2e%2e",
          "agent-ü",
          "\ud800",
          "a b",
          "a\r\nX-Injected: 1"
        ]
        for (const id of tricky) {
          const retrieve = yield* client.agents.retrieve(id).pipe(Effect.flip)
          const remove = yield* client.agents.delete(id).pipe(Effect.flip)
          expect([retrieve._tag, remove._tag], JSON.stringify(id)).toEqual(["InvalidRequestError", "InvalidRequestError"])
        }
        // Nothing was sent, and the agent is untouched.
        expect(yield* server.requests).toEqual([])
        expect((yield* client.agents.retrieve(agent.id)).name).toBe("victim")
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}
