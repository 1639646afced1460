/**
 * End to end against the embedded server's background streams: a background send whose
 * connection drops resumes through `POST /v1/runs/{run_id}/stream` and delivers exactly the
 * turn; `runs.stream` replays a run; a busy conversation's background run can be attached
 * to; cancelling on interrupt reaches the run.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import type { Schemas } from "effect-letta"
import { advance, driveUntilDone, realTick } from "../support/clock.js"
import { collect } from "../support/frames.js"
import { httpClients, serverAndClient, services } from "./harness.js"


const texts = (items: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  items.flatMap((m) =>
    m.message_type === "assistant_message" || m.message_type === "reasoning_message" ||
      m.message_type === "stop_reason" || m.message_type === "usage_statistics"
      ? [m.message_type === "assistant_message" ? `assistant:${String(m.content)}` : m.message_type]
      : []
  )

const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "bg", model: "openai/gpt-4o-mini" }))

for (const http of httpClients) {
  describe(`background streams end to end over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)

    it.effect("a background token stream cut off mid-turn resumes and delivers exactly the uncut turn", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const whole = yield* collect(
          client.agents.messages.stream(agent.id, { input: "tell me a story", stream_tokens: true, background: true })
        )
        expect(Exit.isSuccess(whole.exit)).toBe(true)
        yield* server.clearRequests
        const fiber = yield* Effect.fork(collect(
          client.agents.messages.stream(agent.id, { input: "tell me a story /cut 4", stream_tokens: true, background: true })
        ))
        yield* driveUntilDone(fiber)
        const cut = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(cut.exit)).toBe(true)
        expect(texts(cut.items)).toEqual(texts(whole.items))
        const resumes = (yield* server.requests).filter((r) => r.path.endsWith("/stream"))
        expect(resumes).toHaveLength(1)
        // The cut came after 4 events (the first ping, seq 1, included).
        expect(JSON.parse(resumes[0].body)).toMatchObject({ starting_after: 4 })
      }).pipe(Effect.provide(layer)))

    it.effect("runs.stream replays a finished background run from the start, and from the middle", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const original = yield* collect(client.agents.messages.stream(agent.id, { input: "hi", background: true }, {
          includePings: true
        }))
        const first = original.items[0]
        const runId = first.message_type === "ping" ? first.run_id! : "no ping"
        const replay = yield* collect(client.runs.stream(runId))
        expect(Exit.isSuccess(replay.exit)).toBe(true)
        expect(texts(replay.items)).toEqual(texts(original.items))
        const seqs = original.items.flatMap((m) => ("seq_id" in m && typeof m.seq_id === "number" ? [m.seq_id] : []))
        const middle = seqs[Math.floor(seqs.length / 2)]
        const rest = yield* collect(client.runs.stream(runId, { starting_after: middle }))
        expect(rest.items.every((m) => !("seq_id" in m) || m.seq_id == null || m.seq_id > middle)).toBe(true)
        expect(texts(rest.items).at(-1)).toBe("usage_statistics")
      }).pipe(Effect.provide(layer)))

    it.effect("after a restart: an active background run is found with runs.list and streamed to its end", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const abandoned = yield* Effect.fork(
          Stream.runDrain(client.agents.messages.stream(agent.id, { input: "slowly /slow 1000", background: true }))
        )
        yield* advance("500 millis")
        yield* Fiber.interrupt(abandoned)
        const [active] = yield* Stream.runCollect(client.runs.list({ active: true, background: true, agent_id: agent.id }))
        const fiber = yield* Effect.fork(collect(client.runs.stream(active.id, { starting_after: 0 })))
        yield* driveUntilDone(fiber)
        const resumed = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(resumed.exit)).toBe(true)
        expect(texts(resumed.items)).toContain("assistant:You said: slowly")
      }).pipe(Effect.provide(layer)))

    it.effect("onBusy: attach streams a busy conversation's background run instead of failing", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        const conversation = yield* client.conversations.create(agent.id)
        const first = yield* Effect.fork(collect(
          client.conversations.messages.stream(conversation.id, { input: "mine /slow 1000", background: true })
        ))
        while ((yield* server.streams).length === 0) yield* realTick
        const second = yield* Effect.fork(collect(
          client.conversations.messages.stream(conversation.id, { input: "yours", background: true }, { onBusy: "attach" })
        ))
        yield* driveUntilDone(first)
        yield* driveUntilDone(second)
        const [mine, attached] = [yield* Fiber.join(first), yield* Fiber.join(second)]
        expect(Exit.isSuccess(attached.exit)).toBe(true)
        expect(texts(attached.items)).toEqual(texts(mine.items))
      }).pipe(Effect.provide(layer)))

    it.effect("cancelOnInterrupt cancels a background run, which otherwise outlives its consumer", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const runOf = (cancelOnInterrupt: boolean) =>
          Effect.gen(function*() {
            const [first] = yield* Stream.runCollect(Stream.take(
              client.agents.messages.stream(agent.id, { input: "x /slow 1000", background: true }, {
                includePings: true,
                cancelOnInterrupt
              }),
              1
            ))
            return first.message_type === "ping" ? first.run_id! : "no ping"
          })
        const kept = yield* runOf(false)
        const cancelled = yield* runOf(true)
        expect((yield* client.runs.retrieve(cancelled)).status).toBe("cancelled")
        const fiber = yield* Effect.fork(client.runs.await(kept))
        yield* driveUntilDone(fiber, "1 second")
        expect((yield* Fiber.join(fiber)).status).toBe("completed")
      }).pipe(Effect.provide(layer)))
  })
}
