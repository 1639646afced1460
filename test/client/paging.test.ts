import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import type { Schemas } from "effect-letta"
import { httpClients, serverAndClient, services } from "./harness.js"

/** A stable identity for one listed message: parts of one stored message share `id`. */
const key = (m: Schemas.LettaMessage) =>
  m.message_type === "unknown_message" ? `unknown:${String(m.payload.id)}` : `${m.id}/${m.message_type}/${m.otid}`

/** Newest stored message first; the parts one stored message lists as keep their order. */
const newestFirst = (messages: ReadonlyArray<Schemas.LettaMessage>) => {
  const groups: Array<Array<Schemas.LettaMessage>> = []
  for (const m of messages) {
    const previous = groups[groups.length - 1]
    if (previous !== undefined && m.message_type !== "unknown_message" && previous[0].message_type !== "unknown_message" && previous[0].id === m.id) previous.push(m)
    else groups.push([m])
  }
  return groups.reverse().flat()
}

const exchanges = 520 // 1 system + 1,040 stored messages, 1,561 listed messages

const seeded = Effect.gen(function*() {
  const { client, server } = yield* services
  const agent = yield* client.agents.create({ name: "history" })
  yield* server.seedHistory(agent.id, exchanges)
  // The server's own view, in one oversized page, as the reference.
  const all = yield* client.agents.messages.listPage(agent.id, { order: "asc", limit: 10_000 })
  return { client, server, agent, all }
})

for (const http of httpClients) {
  describe(`paging over ${http.name}`, () => {
    it.effect("lists 1,000+ messages forwards and backwards, without loss or duplicates", () =>
      Effect.gen(function*() {
        const { client, server, agent, all } = yield* seeded
        expect(all.length).toBe(1 + exchanges * 3)
        yield* server.clearRequests
        for (const limit of [7, 100, 1000]) {
          const asc = Chunk.toReadonlyArray(yield* Stream.runCollect(client.agents.messages.list(agent.id, { order: "asc", limit })))
          expect(asc.map(key)).toEqual(all.map(key))
          const desc = Chunk.toReadonlyArray(yield* Stream.runCollect(client.agents.messages.list(agent.id, { limit })))
          expect(desc.map(key)).toEqual(newestFirst(all).map(key))
        }
        // Paging walked the cursors the protocol prescribes: `after` forwards, `before` backwards.
        const requests = yield* server.requests
        expect(requests.some((r) => r.query.params.after !== undefined && r.query.params.order?.[0] === "asc")).toBe(true)
        expect(requests.some((r) => r.query.params.before !== undefined && r.query.params.order?.[0] === "desc")).toBe(true)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("starts from the caller's cursor and keeps the caller's bound", () =>
      Effect.gen(function*() {
        const { client, agent, all } = yield* seeded
        const from = all[300]
        const to = all[900]
        const idOf = (m: Schemas.LettaMessage) => (m.message_type === "unknown_message" ? "" : m.id)
        const between = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.agents.messages.list(agent.id, {
            order: "asc",
            after: idOf(from),
            before: idOf(to),
            limit: 50
          }))
        )
        // Strictly between the two stored messages (each may have listed as several parts).
        const ids = all.map(idOf)
        const expected = all.slice(ids.lastIndexOf(idOf(from)) + 1, ids.indexOf(idOf(to)))
        expect(expected.length).toBeGreaterThan(500)
        expect(between.map(key)).toEqual(expected.map(key))
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("filters by message type without stopping at a page the filter emptied", () =>
      Effect.gen(function*() {
        const { client, agent, all } = yield* seeded
        // Only the first message is a system message: every later page, filtered on the server,
        // would come back empty and end the walk early.
        const systems = Chunk.toReadonlyArray(yield* Stream.runCollect(client.agents.messages.list(agent.id, {
          order: "asc",
          limit: 25,
          include_return_message_types: ["system_message", "assistant_message"]
        })))
        expect(systems.map(key)).toEqual(
          all.filter((m) => m.message_type === "system_message" || m.message_type === "assistant_message").map(key)
        )
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a single page is the server's page, as it is", () =>
      Effect.gen(function*() {
        const { client, agent, all } = yield* seeded
        // `desc` on the agents endpoint: the newest stored messages, oldest first (PROTOCOL.md §5).
        const page = yield* client.agents.messages.listPage(agent.id, { order: "desc", limit: 2 })
        // Two stored messages: the last user message and the assistant message it got.
        expect(page.map(key)).toEqual(all.slice(-3).map(key))
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("lists runs, their messages and their steps across pages", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* client.agents.create({ name: "runs" })
        const other = yield* client.agents.create({ name: "other" })
        for (let i = 0; i < 23; i++) yield* client.agents.messages.create(agent.id, { input: `turn ${i}` })
        yield* client.agents.messages.create(other.id, { input: "elsewhere" })
        const reference = yield* client.runs.listPage({ agent_id: agent.id, limit: 1000 })
        expect(reference.length).toBe(23)
        const desc = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.list({ agent_id: agent.id, limit: 4 })))
        expect(desc.map((r) => r.id)).toEqual(reference.map((r) => r.id))
        const asc = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.runs.list({ agent_id: agent.id, limit: 5, order: "asc" }))
        )
        expect(asc.map((r) => r.id)).toEqual(reference.map((r) => r.id).reverse())

        const run = reference[0]
        const messages = yield* client.runs.messagesPage(run.id, { limit: 1000 })
        expect(messages.length).toBeGreaterThan(1)
        const walked = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.messages(run.id, { limit: 1 })))
        expect(walked.map(key)).toEqual(messages.map(key))
        const backwards = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.runs.messages(run.id, { limit: 1, order: "desc" }))
        )
        expect(backwards.map(key)).toEqual(
          (yield* client.runs.messagesPage(run.id, { limit: 1000, order: "desc" })).map(key)
        )
        const steps = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.steps(run.id, { limit: 1 })))
        expect(steps.length).toBeGreaterThanOrEqual(1)
        expect(steps.every((s) => s.run_id === run.id)).toBe(true)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a server that ignores the cursor fails the walk instead of looping", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "loop" })
        yield* server.seedHistory(agent.id, 5)
        const page = yield* client.agents.messages.listPage(agent.id, { order: "asc", limit: 2 })
        const { LettaTestServer } = yield* Effect.promise(() => import("effect-letta/testing"))
        yield* server.injectFault(LettaTestServer.respond({
          path: `/v1/agents/${agent.id}/messages`,
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(yield* Effect.promise(() => fetch(`${server.url}/v1/agents/${agent.id}/messages?order=asc&limit=2`).then((r) => r.json()))),
          times: 10
        }))
        const error = yield* Stream.runDrain(client.agents.messages.list(agent.id, { order: "asc", limit: 2 })).pipe(Effect.flip)
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("repeats items of the previous page")
        expect(page.length).toBeGreaterThan(0)
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}
