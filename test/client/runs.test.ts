import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Stream } from "effect"
import { makeRecordingTracer } from "../support/recordingTracer.js"
import { httpClients, serverAndClient, services } from "./harness.js"

for (const http of httpClients) {
  describe(`runs over ${http.name}`, () => {
    it.effect("retrieve, filter by repeated query keys, and delete", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* client.agents.create({ name: "runs" })
        yield* client.agents.messages.create(agent.id, { input: "ok" })
        yield* client.agents.messages.create(agent.id, { input: "/fail" }).pipe(Effect.ignore)
        yield* server.clearRequests
        const runs = yield* client.runs.listPage({ agent_id: agent.id, statuses: ["completed", "failed"] })
        expect(runs.map((run) => run.status).sort()).toEqual(["completed", "failed"])
        const [request] = yield* server.requests
        // Arrays go out as repeated keys, which is what the server reads.
        expect(request.query.params.statuses).toEqual(["completed", "failed"])
        expect(request.query.raw).toContain("statuses=completed&statuses=failed")
        const completed = runs.find((run) => run.status === "completed")!
        expect((yield* client.runs.retrieve(completed.id)).stop_reason).toBe("end_turn")
        yield* client.runs.delete(completed.id)
        expect((yield* client.runs.retrieve(completed.id).pipe(Effect.flip))._tag).toBe("NotFoundError")
        expect((yield* client.runs.listPage({ agent_id: agent.id })).map((run) => run.id)).not.toContain(completed.id)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("rejects invalid list parameters before sending", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const tooMany = yield* client.runs.listPage({ limit: 5000 }).pipe(Effect.flip)
        expect(tooMany._tag).toBe("InvalidRequestError")
        const error = yield* Stream.runDrain(
          // @ts-expect-error not a run status
          client.runs.list({ statuses: ["done"] })
        ).pipe(Effect.flip)
        expect(error._tag).toBe("InvalidRequestError")
        expect(yield* server.requests).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}

describe("spans", () => {
  it.effect("every public operation is a span, annotated with the ids it works on", () =>
    Effect.gen(function*() {
      const { spans, layer: tracing } = makeRecordingTracer()
      yield* Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* client.agents.create({ name: "traced" })
        yield* client.agents.retrieve(agent.id)
        yield* client.agents.messages.create(agent.id, { input: "hi" })
        const run = yield* client.agents.messages.createAsync(agent.id, { input: "later" })
        yield* client.agents.messages.listPage(agent.id)
        yield* Stream.runCollect(client.agents.messages.list(agent.id)).pipe(Effect.map(Chunk.size))
        yield* client.agents.messages.cancel(agent.id)
        yield* client.agents.messages.compact(agent.id)
        yield* client.agents.messages.reset(agent.id)
        yield* client.runs.retrieve(run.id)
        yield* client.runs.listPage()
        yield* Stream.runDrain(client.runs.list())
        yield* client.runs.messagesPage(run.id)
        yield* Stream.runDrain(client.runs.messages(run.id))
        yield* client.runs.stepsPage(run.id)
        yield* Stream.runDrain(client.runs.steps(run.id))
        yield* client.runs.usage(run.id)
        yield* client.runs.delete(run.id)
        yield* client.agents.delete(agent.id)
      }).pipe(Effect.provide(Layer.merge(serverAndClient(httpClients[0].layer), tracing)))
      const names = new Set(spans.map((span) => span.name))
      for (
        const operation of [
          "Agents.create",
          "Agents.retrieve",
          "Agents.delete",
          "Messages.create",
          "Messages.createAsync",
          "Messages.listPage",
          "Messages.list",
          "Messages.cancel",
          "Messages.compact",
          "Messages.reset",
          "Runs.retrieve",
          "Runs.listPage",
          "Runs.list",
          "Runs.messagesPage",
          "Runs.messages",
          "Runs.stepsPage",
          "Runs.steps",
          "Runs.usage",
          "Runs.delete"
        ]
      ) {
        expect(names, operation).toContain(operation)
      }
      const create = spans.find((span) => span.name === "Messages.create")!
      expect(create.attributes.get("letta.agent_id")).toMatch(/^agent-/)
      expect(create.attributes.get("letta.stop_reason")).toBe("end_turn")
      // The HTTP call is a child of the operation's span.
      expect(spans.some((span) => span.name.startsWith("http.client") && span.parent !== undefined)).toBe(true)
    }))
  it.effect("a stream is one span for its whole life, told the run, the stop reason and the event count", () =>
    Effect.gen(function*() {
      const { spans, layer: tracing } = makeRecordingTracer()
      const { agentId, events } = yield* Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* client.agents.create({ name: "traced" })
        const events = yield* Stream.runCollect(client.agents.messages.stream(agent.id, { input: "hi" }))
        const failed = yield* Stream.runDrain(client.agents.messages.stream(agent.id, { input: "/llm-error" })).pipe(
          Effect.flip
        )
        expect(failed._tag).toBe("StreamError")
        return { agentId: agent.id, events: Chunk.toReadonlyArray(events) }
      }).pipe(Effect.provide(Layer.merge(serverAndClient(httpClients[0].layer), tracing)))
      const [ok, failed] = spans.filter((span) => span.name === "Messages.stream")
      expect(ok.attributes.get("letta.agent_id")).toBe(agentId)
      const runId = events.find((event) => "run_id" in event && event.run_id != null)
      expect(ok.attributes.get("letta.run_id")).toBe(runId && "run_id" in runId ? runId.run_id : "no run id")
      expect(ok.attributes.get("letta.stop_reason")).toBe("end_turn")
      // The messages the caller saw (pings are read, but not delivered).
      expect(ok.attributes.get("letta.events")).toBe(events.length)
      expect(ok.exit && Exit.isSuccess(ok.exit)).toBe(true)
      expect(failed.exit && Exit.isFailure(failed.exit)).toBe(true)
      // The request is the stream span's child; the reads are not spans of their own.
      const requests = spans.filter((span) => span.parent === ok.spanId)
      expect(requests.map((span) => span.name)).toEqual([expect.stringMatching(/^http\.client POST/)])
    }))
})
