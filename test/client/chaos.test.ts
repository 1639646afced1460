/**
 * Chaos: many background streams at once, each connection dropped by the server after a
 * random number of events, every one resumed by the client. Each caller must see every
 * event of its run exactly once, in order: the same events a clean read of the run's stored
 * stream gives afterwards.
 *
 * CI runs a small count; `npm run test:chaos` runs the full 1,000 (`CHAOS_STREAMS`).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schedule, Stream } from "effect"
import type { Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { serverAndClient, services } from "./harness.js"

const streams = Number(process.env["CHAOS_STREAMS"] ?? 40)
// Long inputs make long token-mode replies: about a hundred events per run.
const input = (i: number) => `chaos ${i}: ` + "every event exactly once, in order, whatever the network does. ".repeat(6)

/** What identifies an event: where it sits in the run and what it says. */
const fingerprint = (message: Schemas.LettaStreamingMessage) =>
  JSON.stringify([
    "seq_id" in message ? message.seq_id : null,
    message.message_type,
    "otid" in message ? message.otid : null,
    "content" in message ? message.content : "reasoning" in message ? message.reasoning : null
  ])

const runIdOf = (messages: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  messages.flatMap((m) => ("run_id" in m && typeof m.run_id === "string" ? [m.run_id] : []))[0]

describe("chaos", () => {
  it.live(`${streams} background streams with random disconnects deliver every event exactly once`, () =>
    Effect.gen(function*() {
      const { client, server } = yield* services
      const agent = yield* client.agents.create({ name: "chaos", model: "openai/gpt-4o-mini" })
      // Every connection, sends and resumes alike, is cut after 1 to 12 events, until the
      // faults run out (three per stream on average), so every stream is cut many times.
      yield* server.injectFault(LettaTestServer.cut({
        path: /^\/v1\/(agents\/[^/]+\/messages|runs\/[^/]+\/stream)$/,
        afterEvents: "random",
        randomMax: 12,
        times: streams * 3
      }))
      const received = yield* Effect.forEach(
        Array.from({ length: streams }, (_, i) => i),
        (i) =>
          client.agents.messages.stream(
            agent.id,
            { input: input(i), background: true, stream_tokens: true },
            // Resume at once, as often as it takes: the cuts are the test, not the waits.
            { resume: Schedule.recurs(100) }
          ).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray)),
        { concurrency: "unbounded" }
      )
      // Every cut connection was followed by a resume: many more than one per stream.
      const resumes = (yield* server.requests).filter((r) => /^\/v1\/runs\/[^/]+\/stream$/.test(r.path)).length
      expect(resumes, "resumed connections").toBeGreaterThanOrEqual(streams * 2)

      yield* server.clearFaults
      for (const [i, messages] of received.entries()) {
        const runId = runIdOf(messages)
        expect(runId, `stream ${i} saw its run id`).toBeDefined()
        const clean = yield* client.runs.stream(runId!, { starting_after: 0 }).pipe(
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        )
        expect(messages.map(fingerprint), `stream ${i}`).toEqual(clean.map(fingerprint))
        expect(messages.at(-1)?.message_type).toBe("usage_statistics")
      }
    }).pipe(Effect.provide(serverAndClient(NodeHttpClient.layerUndici, { seed: 7 }))), { timeout: 600_000 })
})
