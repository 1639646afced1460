import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { httpClients, serverAndClient, services } from "./harness.js"

const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "a", system: "You are terse." }))

for (const http of httpClients) {
  describe(`agents.messages over ${http.name}`, () => {
    it.effect("create sends a message and returns the typed reply", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        yield* server.clearRequests
        const response = yield* client.agents.messages.create(agent.id, {
          messages: [{ role: "user", content: [{ text: "What is 2 + 2?" }], otid: "otid-1" }]
        })
        expect(response.stop_reason.stop_reason).toBe("end_turn")
        expect(response.messages.map((m) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
        const [reasoning, assistant] = response.messages
        // One stored message expands into both parts: same id, distinct otids.
        expect(reasoning.message_type === "reasoning_message" && assistant.message_type === "assistant_message").toBe(true)
        if (reasoning.message_type !== "reasoning_message" || assistant.message_type !== "assistant_message") return
        expect(reasoning.id).toBe(assistant.id)
        expect(reasoning.otid).not.toBe(assistant.otid)
        expect(assistant.content).toBe("You said: What is 2 + 2?")
        expect(response.usage.total_tokens).toBeGreaterThan(0)
        // On the wire every item and part carries its `type`, and nothing the caller did not set.
        const [request] = yield* server.requests
        expect(JSON.parse(request.body)).toEqual({
          messages: [{ type: "message", role: "user", content: [{ type: "text", text: "What is 2 + 2?" }], otid: "otid-1" }]
        })
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("invalid input fails before anything is sent", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        yield* server.clearRequests
        const both = yield* client.agents.messages.create(agent.id, { input: "a", messages: [] }).pipe(Effect.flip)
        expect(both._tag).toBe("InvalidRequestError")
        expect(both.message).toContain("exactly one of `input` and `messages`")
        const badRole = yield* client.agents.messages.create(agent.id, {
          // @ts-expect-error a role the server does not accept
          messages: [{ role: "tool", content: "x" }]
        }).pipe(Effect.flip)
        expect(badRole._tag).toBe("InvalidRequestError")
        expect(yield* server.requests).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("createAsync returns a created run that goes straight to a terminal status", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const run = yield* client.agents.messages.createAsync(agent.id, {
          input: "later",
          callback_url: "http://127.0.0.1:9/hook"
        })
        expect(run.status).toBe("created")
        expect(run.background).toBe(true)
        expect(run.metadata?.run_type).toBe("send_message_async")
        expect((yield* client.runs.retrieve(run.id)).status).toBe("created")
        yield* TestClock.adjust("1 second")
        const done = yield* client.runs.retrieve(run.id)
        expect(done.status).toBe("completed")
        expect(done.stop_reason).toBe("end_turn")
        expect(done.completed_at).toBeDefined()
        const messages = yield* client.runs.messagesPage(run.id)
        expect(messages.map((m) => m.message_type)).toContain("assistant_message")
        expect(messages.every((m) => m.message_type === "unknown_message" || m.run_id === run.id)).toBe(true)
        const usage = yield* client.runs.usage(run.id)
        expect(usage.total_tokens).toBeGreaterThan(0)
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 second" }))))

    it.effect("a failing async run ends failed, judged by its stop reason", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const run = yield* client.agents.messages.createAsync(agent.id, { input: "/fail the tool broke" })
        yield* TestClock.adjust("1 second")
        const done = yield* client.runs.retrieve(run.id)
        expect(done.status).toBe("failed")
        expect(done.stop_reason).toBe("error")
        expect(typeof done.metadata?.error).toBe("string")
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 second" }))))

    it.effect("cancel stops a pending async run; cancelling with nothing to cancel is a typed conflict", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const none = yield* client.agents.messages.cancel(agent.id).pipe(Effect.flip)
        expect(none._tag).toBe("ConflictError")
        expect(none._tag === "ConflictError" && none.reason).toBe("no_active_runs")
        const run = yield* client.agents.messages.createAsync(agent.id, { input: "slow" })
        const cancelled = yield* client.agents.messages.cancel(agent.id, { run_ids: [run.id] })
        expect(cancelled).toEqual({ [run.id]: "cancelled" })
        yield* TestClock.adjust("1 second")
        const after = yield* client.runs.retrieve(run.id)
        expect([after.status, after.stop_reason]).toEqual(["cancelled", "cancelled"])
        // Async runs are not tracked as the agent's latest run, so without run ids there is
        // nothing active to cancel now.
        expect((yield* client.agents.messages.cancel(agent.id).pipe(Effect.flip))._tag).toBe("ConflictError")
        // A synchronous send is tracked: it is the one cancelled, even though it has finished.
        yield* client.agents.messages.create(agent.id, { input: "quick" })
        const [newest] = yield* client.runs.listPage({ agent_id: agent.id, limit: 1 })
        expect(newest.metadata?.run_type).toBe("send_message")
        expect(yield* client.agents.messages.cancel(agent.id)).toEqual({ [newest.id]: "cancelled" })
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 second" }))))

    it.effect("compact summarizes the context; reset empties the context but keeps the history", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        for (const text of ["one", "two", "three"]) yield* client.agents.messages.create(agent.id, { input: text })
        const compacted = yield* client.agents.messages.compact(agent.id)
        expect(compacted.num_messages_after).toBeLessThan(compacted.num_messages_before)
        expect(compacted.summary.length).toBeGreaterThan(0)
        // The server answers v1 clients with no body; the agent shows the reset.
        const reset = yield* client.agents.messages.reset(agent.id, { add_default_initial_messages: false })
        expect(reset).toEqual(Option.none())
        // Only the system message stays in context; the stored history is untouched.
        const after = yield* client.agents.retrieve(agent.id)
        expect(after.message_ids).toHaveLength(1)
        const history = yield* client.agents.messages.listPage(agent.id, { order: "asc" })
        expect(history.filter((m) => m.message_type === "assistant_message").length).toBe(3)
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}
