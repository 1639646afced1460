/**
 * What operations tell their spans, against the embedded server: a stream's span covers the
 * stream and learns its run, stop reason and delivered message count; a retried request says
 * how many attempts it took; a resumed background stream how many resumes; a tool loop how
 * many rounds. None of it holds the API key.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schedule, Schema, Stream } from "effect"
import { ClientTools, type Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { makeRecordingTracer, type RecordedSpan } from "../support/recordingTracer.js"
import { httpClients, serverAndClient, services } from "./harness.js"

const apiKey = "sk-letta-SPAN-SECRET-0123"

const runIdOf = (messages: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  messages.flatMap((m) => ("run_id" in m && typeof m.run_id === "string" ? [m.run_id] : []))[0]

const only = (spans: ReadonlyArray<RecordedSpan>, name: string) => {
  const found = spans.filter((span) => span.name === name)
  expect(found.map((span) => span.name)).toEqual([name])
  return found[0]
}

const counter = ClientTools.make("counter", {
  description: "Counts.",
  parameters: Schema.Struct({}),
  handler: () => Effect.succeed(1)
})

for (const http of httpClients) {
  describe(`spans over ${http.name}`, () => {
    const traced = () => {
      const { layer, spans } = makeRecordingTracer()
      const client = serverAndClient(http.layer, { apiKey }, { apiKey: Redacted.make(apiKey), retry: { initialDelay: 0 } })
      return { spans, layer: Layer.merge(client, layer) }
    }
    const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "spans" }))

    it.effect("a stream's span: agent, run, final stop reason, messages delivered; the request is its child", () => {
      const { layer, spans } = traced()
      return Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const messages = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.agents.messages.stream(agent.id, { input: "hi", stream_tokens: true }))
        )
        const span = only(spans, "Messages.stream")
        expect(span.attributes.get("letta.agent_id")).toBe(agent.id)
        expect(span.attributes.get("letta.run_id")).toBe(runIdOf(messages))
        expect(span.attributes.get("letta.stop_reason")).toBe("end_turn")
        expect(span.attributes.get("letta.events")).toBe(messages.length)
        expect(span.attributes.get("letta.otids")).toEqual([expect.any(String)])
        expect(spans.filter((s) => s.parent === span.spanId).map((s) => s.name)).toEqual([
          expect.stringMatching(/^http\.client POST/)
        ])

        const conversation = yield* client.conversations.create(agent.id)
        yield* Stream.runDrain(client.conversations.messages.stream(conversation.id, { input: "hi" }))
        const inConversation = only(spans, "Conversations.messages.stream")
        expect(inConversation.attributes.get("letta.conversation_id")).toBe(conversation.id)
        expect(inConversation.attributes.get("letta.stop_reason")).toBe("end_turn")
        expect(JSON.stringify(spans.map((s) => [...s.attributes]))).not.toContain(apiKey)
      }).pipe(Effect.provide(layer))
    })

    it.effect("a retried request counts its attempts; one that was not retried says nothing", () => {
      const { layer, spans } = traced()
      return Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        yield* server.injectFault(LettaTestServer.serverErrors({ method: "GET", path: `/v1/agents/${agent.id}`, times: 2 }))
        yield* client.agents.retrieve(agent.id)
        expect(only(spans, "Agents.retrieve").attributes.get("letta.retry.attempts")).toBe(3)
        expect(only(spans, "Agents.create").attributes.has("letta.retry.attempts")).toBe(false)

        // A background send to a conversation may be repeated (the server knows it by its otids).
        const conversation = yield* client.conversations.create(agent.id)
        yield* server.injectFault(
          LettaTestServer.serverErrors({ path: `/v1/conversations/${conversation.id}/messages`, status: 503, times: 1 })
        )
        yield* Stream.runDrain(client.conversations.messages.stream(conversation.id, { input: "hi", background: true }))
        const stream = only(spans, "Conversations.messages.stream")
        expect(stream.attributes.get("letta.retry.attempts")).toBe(2)
        expect(stream.attributes.get("letta.stop_reason")).toBe("end_turn")
      }).pipe(Effect.provide(layer))
    })

    it.effect("a resumed background stream: one span over every connection, with the resumes counted", () => {
      const { layer, spans } = traced()
      return Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const messages = Chunk.toReadonlyArray(
          yield* Stream.runCollect(
            client.agents.messages.stream(agent.id, { input: "a long story /cut 3", background: true }, {
              resume: Schedule.recurs(3)
            })
          )
        )
        const span = only(spans, "Messages.stream")
        expect(span.attributes.get("letta.resume_attempts")).toBe(1)
        expect(span.attributes.get("letta.run_id")).toBe(runIdOf(messages))
        // The stop reason came through the resumed connection.
        expect(span.attributes.get("letta.stop_reason")).toBe("end_turn")
        expect(span.attributes.get("letta.events")).toBe(messages.length)
        const resumed = only(spans, "Runs.stream")
        expect(resumed.parent).toBe(span.spanId)
        expect(resumed.attributes.get("letta.resume_attempt")).toBe(1)
        // Cut after the ping (seq 1), the reasoning (2) and the answer (3).
        expect(resumed.attributes.get("letta.starting_after")).toBe(3)

        // Reading the run again: the same run, messages and stop reason, no resumes needed.
        const replay = Chunk.toReadonlyArray(yield* Stream.runCollect(client.runs.stream(runIdOf(messages)!)))
        const read = spans.filter((s) => s.name === "Runs.stream")[1]
        expect(read.parent).not.toBe(span.spanId)
        expect(read.attributes.get("letta.agent_id")).toBe(agent.id)
        expect(read.attributes.get("letta.events")).toBe(replay.length)
        expect(read.attributes.get("letta.stop_reason")).toBe("end_turn")
        expect(read.attributes.get("letta.resume_attempts")).toBe(0)
      }).pipe(Effect.provide(layer))
    })

    it.effect("a tool loop counts its rounds, and each round's stream is its child", () => {
      const { layer, spans } = traced()
      return Effect.gen(function*() {
        const agent = yield* newAgent
        const toolkit = ClientTools.toolkit(counter)
        const sent = yield* ClientTools.send(agent.id, { input: "/tool counter {} /rounds 2" }, { toolkit })
        expect(sent.rounds).toBe(2)
        const send = only(spans, "ClientTools.send")
        expect(send.attributes.get("letta.tool_rounds")).toBe(2)
        expect(send.attributes.get("letta.agent_id")).toBe(agent.id)
        expect(send.attributes.get("letta.tools")).toEqual(["counter"])
        expect(spans.filter((s) => s.name === "Messages.create").every((s) => s.parent === send.spanId)).toBe(true)

        yield* Stream.runDrain(ClientTools.stream(agent.id, { input: "/tool counter {} /rounds 3" }, { toolkit }))
        const stream = only(spans, "ClientTools.stream")
        expect(stream.attributes.get("letta.tool_rounds")).toBe(3)
        const rounds = spans.filter((s) => s.name === "Messages.stream")
        expect(rounds.map((s) => [s.parent, s.attributes.get("letta.stop_reason")])).toEqual([
          [stream.spanId, "requires_approval"],
          [stream.spanId, "requires_approval"],
          [stream.spanId, "requires_approval"],
          [stream.spanId, "end_turn"]
        ])
      }).pipe(Effect.provide(layer))
    })
  })
}
