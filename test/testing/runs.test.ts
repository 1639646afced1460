import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, unknownAgentId, unknownRunId } from "./helpers.js"

const sendAsync = (server: LettaTestServer.Service, agentId: string, body: unknown) =>
  call(server, "POST", `/v1/agents/${agentId}/messages/async`, { body })

const getRun = (server: LettaTestServer.Service, runId: string) => call(server, "GET", `/v1/runs/${runId}`)

const naive = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/
const aware = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/

describe("async runs", () => {
  it.scoped("go from created straight to completed after asyncRunDelay", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make({ asyncRunDelay: "1 second" })
      const agentId = yield* createAgent(server)
      const created = yield* sendAsync(server, agentId, {
        input: "later",
        callback_url: "https://example.com/hook",
        include_return_message_types: ["assistant_message"]
      })
      expect(created.status).toBe(200)
      const run = created.json
      expect(Object.keys(run)).toEqual([
        "id",
        "status",
        "created_at",
        "completed_at",
        "agent_id",
        "conversation_id",
        "base_template_id",
        "background",
        "metadata",
        "request_config",
        "stop_reason",
        "callback_url",
        "callback_sent_at",
        "callback_status_code",
        "callback_error",
        "ttft_ns",
        "total_duration_ns"
      ])
      expect(run).toMatchObject({
        status: "created",
        completed_at: null,
        agent_id: agentId,
        background: true,
        metadata: { run_type: "send_message_async", lettuce: null },
        request_config: {
          use_assistant_message: true,
          assistant_message_tool_name: "send_message",
          assistant_message_tool_kwarg: "message",
          include_return_message_types: ["assistant_message"]
        },
        stop_reason: null,
        callback_url: "https://example.com/hook"
      })
      expect(run.created_at).toBe("1970-01-01T00:00:00Z")

      yield* TestClock.adjust("999 millis")
      const pending = yield* getRun(server, run.id)
      expect(pending.json.status).toBe("created")
      expect(yield* call(server, "GET", `/v1/runs/${run.id}/messages`)).toMatchObject({ json: [] })

      yield* TestClock.adjust("1 millis")
      const done = yield* getRun(server, run.id)
      expect(done.json).toMatchObject({ status: "completed", stop_reason: "end_turn" })
      // completed_at is naive (no offset); created_at keeps its Z; a whole second has no fraction.
      expect(done.json.completed_at).toBe("1970-01-01T00:00:01")
      expect(done.json.completed_at).toMatch(naive)
      expect(done.json.created_at).toMatch(aware)
      expect(done.json.total_duration_ns).toBe(1_000_000_000)

      // Run messages are filtered by the run's include_return_message_types.
      const messages = yield* call(server, "GET", `/v1/runs/${run.id}/messages`)
      expect(messages.json.map((m: any) => m.message_type)).toEqual(["assistant_message"])
      expect(messages.json[0]).toMatchObject({ run_id: run.id, content: "You said: later" })
      // The agent's history carries the run id on the persisted messages.
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(history.json.slice(1).every((m: any) => m.run_id === run.id)).toBe(true)
      expect(history.json.map((m: any) => m.message_type)).toEqual([
        "system_message",
        "user_message",
        "reasoning_message",
        "assistant_message"
      ])
    }))

  it.scoped("can be cancelled before they finish", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const run = (yield* sendAsync(server, agentId, { input: "never" })).json
      // No sync/streaming run has been recorded for the agent, so cancel falls back to its active runs.
      const cancelled = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`)
      expect(cancelled.status).toBe(200)
      expect(cancelled.json).toEqual({ [run.id]: "cancelled" })
      const after = yield* getRun(server, run.id)
      expect(after.json).toMatchObject({ status: "cancelled", stop_reason: "cancelled" })
      expect(after.json.completed_at).toMatch(naive)

      yield* TestClock.adjust("1 minute")
      const still = yield* getRun(server, run.id)
      expect(still.json.status).toBe("cancelled")
      const history = yield* call(server, "GET", `/v1/agents/${agentId}/messages`)
      expect(history.json).toHaveLength(1)
      const agent = yield* call(server, "GET", `/v1/agents/${agentId}`)
      expect(agent.json.last_stop_reason).toBe("cancelled")
    }))

  it.scoped("fail with /fail and with provider errors", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const failing = (yield* sendAsync(server, agentId, { input: "/fail kaput" })).json
      const limited = (yield* sendAsync(server, agentId, { input: "/llm-error llm_rate_limit" })).json
      yield* TestClock.adjust("50 millis")
      const failed = yield* getRun(server, failing.id)
      expect(failed.json).toMatchObject({ status: "failed", stop_reason: "error" })
      expect(failed.json.metadata).toEqual({ run_type: "send_message_async", lettuce: null, error: "kaput" })
      const rateLimited = yield* getRun(server, limited.id)
      expect(rateLimited.json).toMatchObject({ status: "failed", stop_reason: "error" })
      expect(rateLimited.json.metadata.error).toMatch(/^RATE_LIMIT_EXCEEDED: /)
      const steps = yield* call(server, "GET", `/v1/runs/${limited.id}/steps`)
      expect(steps.json).toHaveLength(1)
      expect(steps.json[0]).toMatchObject({ status: "failed", error_type: "LLMRateLimitError" })
    }))
})

describe("POST /v1/agents/{agent_id}/messages/cancel", () => {
  it.scoped("cancels the agent's last sync run even when it already finished", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const none = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`)
      expect(none.status).toBe(409)
      expect(none.json).toEqual({ detail: `CONFLICT: No active runs to cancel for agent ${agentId}` })
      const unknown = yield* call(server, "POST", `/v1/agents/${unknownAgentId}/messages/cancel`, { body: {} })
      expect(unknown.status).toBe(409)

      const reply = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "hi" } })
      const runId = reply.json.messages[0].run_id
      for (const body of [undefined, {}, { run_ids: null }, { run_ids: [] }]) {
        const cancel = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`, { body })
        expect(cancel.status).toBe(200)
        expect(cancel.json).toEqual({ [runId]: "cancelled" })
      }
      // A finished run is left alone.
      const run = yield* getRun(server, runId)
      expect(run.json).toMatchObject({ status: "completed", stop_reason: "end_turn" })

      // The remembered run wins over a newer async run; explicit ids reach any run.
      const asyncRun = (yield* sendAsync(server, agentId, { input: "x" })).json
      const remembered = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`)
      expect(remembered.json).toEqual({ [runId]: "cancelled" })
      expect((yield* getRun(server, asyncRun.id)).json.status).toBe("created")
      const explicit = yield* call(server, "POST", `/v1/agents/${agentId}/messages/cancel`, {
        body: { run_ids: [asyncRun.id, unknownRunId, "run-nope"] }
      })
      expect(explicit.json).toEqual({ [asyncRun.id]: "cancelled", [unknownRunId]: "failed", "run-nope": "failed" })
      expect((yield* getRun(server, asyncRun.id)).json.status).toBe("cancelled")
    }))
})

describe("runs API", () => {
  it.scoped("lists, filters and pages runs", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const a = yield* createAgent(server)
      const b = yield* createAgent(server)
      const runIds: Array<string> = []
      for (const [agent, input] of [[a, "1"], [b, "2"], [a, "3"], [a, "/fail"]] as const) {
        const reply = yield* call(server, "POST", `/v1/agents/${agent}/messages`, { body: { input } })
        if (reply.status === 200) runIds.push(reply.json.messages[0].run_id)
      }
      const asyncRun = (yield* sendAsync(server, a, { input: "4" })).json
      const all = yield* call(server, "GET", "/v1/runs/")
      expect(all.status).toBe(200)
      expect(all.json).toHaveLength(5)
      // Default order is newest first.
      expect(all.json[0].id).toBe(asyncRun.id)
      expect(all.json.slice(2).map((r: any) => r.id)).toEqual([runIds[2], runIds[1], runIds[0]])
      const failedRunId = all.json[1].id

      const ofA = yield* call(server, "GET", `/v1/runs/?agent_id=${a}`)
      expect(ofA.json).toHaveLength(4)
      const legacy = yield* call(server, "GET", `/v1/runs/?agent_ids=${b}&agent_ids=${a}`)
      expect(legacy.json).toHaveLength(5)
      const statuses = yield* call(server, "GET", "/v1/runs/?statuses=failed&statuses=created")
      expect(statuses.json.map((r: any) => r.id)).toEqual([asyncRun.id, failedRunId])
      const active = yield* call(server, "GET", "/v1/runs/?active=true")
      expect(active.json.map((r: any) => r.id)).toEqual([asyncRun.id])
      const activeOld = yield* call(server, "GET", `/v1/runs/active?agent_id=${a}`)
      expect(activeOld.json.map((r: any) => r.id)).toEqual([asyncRun.id])
      const background = yield* call(server, "GET", "/v1/runs/?background=false")
      expect(background.json).toHaveLength(4)
      const stopped = yield* call(server, "GET", "/v1/runs/?stop_reason=end_turn")
      expect(stopped.json).toHaveLength(3)
      const conversation = yield* call(server, "GET", "/v1/runs/?conversation_id=conv-1")
      expect(conversation.json).toEqual([])

      // Cursors follow run_manager_helper: in desc `before` is older, in asc `before` is newer.
      const olderDesc = yield* call(server, "GET", `/v1/runs/?before=${runIds[2]}&limit=1`)
      expect(olderDesc.json.map((r: any) => r.id)).toEqual([runIds[1]])
      const newerDesc = yield* call(server, "GET", `/v1/runs/?after=${runIds[1]}`)
      expect(newerDesc.json.map((r: any) => r.id)).toEqual([asyncRun.id, failedRunId, runIds[2]])
      const asc = yield* call(server, "GET", `/v1/runs/?order=asc&before=${runIds[1]}`)
      expect(asc.json.map((r: any) => r.id)).toEqual([runIds[2], failedRunId, asyncRun.id])
      const ascAfter = yield* call(server, "GET", `/v1/runs/?ascending=true&after=${runIds[2]}`)
      expect(ascAfter.json.map((r: any) => r.id)).toEqual([runIds[0], runIds[1]])
      const unknownCursor = yield* call(server, "GET", `/v1/runs/?after=${unknownRunId}`)
      expect(unknownCursor.json).toHaveLength(5)

      const badStatus = yield* call(server, "GET", "/v1/runs/?statuses=done")
      expect(badStatus.status).toBe(400)
      expect(badStatus.json).toEqual({ detail: "'done' is not a valid RunStatus" })
      for (const limit of ["0", "1001"]) {
        const bad = yield* call(server, "GET", `/v1/runs/?limit=${limit}`)
        expect(bad.status).toBe(422)
      }
      const tooBig = yield* call(server, "GET", "/v1/runs/?limit=1001")
      expect(tooBig.json.detail).toBe(
        "[{'type': 'less_than_equal', 'loc': ('query', 'limit'), 'msg': 'Input should be less than or equal to 1000', 'input': '1001', 'ctx': {'le': 1000}}]"
      )
      const noSlash = yield* call(server, "GET", "/v1/runs")
      expect(noSlash.json).toHaveLength(5)
    }))

  it.scoped("retrieves, inspects and deletes a run", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      const reply = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input: "inspect me" } })
      const runId = reply.json.messages[0].run_id
      const run = yield* getRun(server, runId)
      expect(run.json).toMatchObject({
        id: runId,
        status: "completed",
        stop_reason: "end_turn",
        background: false,
        metadata: { run_type: "send_message" },
        completed_at: "1970-01-01T00:00:00"
      })

      const asc = yield* call(server, "GET", `/v1/runs/${runId}/messages`)
      expect(asc.json.map((m: any) => m.message_type)).toEqual(["user_message", "reasoning_message", "assistant_message"])
      const desc = yield* call(server, "GET", `/v1/runs/${runId}/messages?order=desc`)
      expect(desc.json.map((m: any) => m.message_type)).toEqual(["assistant_message", "reasoning_message", "user_message"])
      const afterUser = yield* call(server, "GET", `/v1/runs/${runId}/messages?after=${asc.json[0].id}`)
      expect(afterUser.json.map((m: any) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
      const missingCursor = yield* call(server, "GET", `/v1/runs/${runId}/messages?before=message-nope`)
      expect(missingCursor.status).toBe(404)
      expect(missingCursor.json).toEqual({ detail: "No message found with id 'message-nope' for agent 'None'." })

      const usage = yield* call(server, "GET", `/v1/runs/${runId}/usage`)
      expect(usage.json).toEqual({
        completion_tokens: reply.json.usage.completion_tokens,
        prompt_tokens: reply.json.usage.prompt_tokens,
        total_tokens: reply.json.usage.total_tokens,
        prompt_tokens_details: null,
        completion_tokens_details: null
      })
      const steps = yield* call(server, "GET", `/v1/runs/${runId}/steps`)
      expect(steps.json).toHaveLength(1)
      expect(steps.json[0]).toMatchObject({
        id: asc.json[0].step_id,
        run_id: runId,
        agent_id: agentId,
        status: "success",
        stop_reason: "end_turn",
        total_tokens: reply.json.usage.total_tokens,
        messages: []
      })
      const stepCursor = yield* call(server, "GET", `/v1/runs/${runId}/steps?before=step-nope`)
      expect(stepCursor.status).toBe(404)
      expect(stepCursor.json).toEqual({ detail: "No Step found with id step-nope" })

      const malformed = yield* getRun(server, "run-123")
      expect(malformed.status).toBe(400)
      expect(malformed.json).toEqual({ detail: "INVALID_ARGUMENT: Invalid run ID format: run-123. Expected format: 'run-<uuid4>'" })
      const unknown = yield* getRun(server, unknownRunId)
      expect(unknown.status).toBe(404)
      expect(unknown.json.detail).toMatch(new RegExp(`^Run not found with id='\\['${unknownRunId}'\\]'`))
      for (const suffix of ["/messages", "/usage", "/steps"]) {
        expect((yield* call(server, "GET", `/v1/runs/foo${suffix}`)).status).toBe(400)
      }

      const deleted = yield* call(server, "DELETE", `/v1/runs/${runId}`)
      expect(deleted.status).toBe(200)
      expect(deleted.text).toBe("null")
      expect((yield* getRun(server, runId)).status).toBe(404)
      expect((yield* call(server, "DELETE", `/v1/runs/${runId}`)).status).toBe(404)
    }))

  it.scoped("pages steps relative to their order", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      // Three runs, one step each; steps are listed per run, so page across runs via cursors of another run.
      const stepIds: Array<string> = []
      const runIds: Array<string> = []
      for (const input of ["a", "b"]) {
        const reply = yield* call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { input } })
        runIds.push(reply.json.messages[0].run_id)
        stepIds.push(reply.json.messages[0].step_id)
      }
      // The cursor step may belong to another run: only its position counts.
      const olderThanSecond = yield* call(server, "GET", `/v1/runs/${runIds[0]}/steps?order=asc&before=${stepIds[1]}`)
      expect(olderThanSecond.json.map((s: any) => s.id)).toEqual([stepIds[0]])
      // In desc, `before` means earlier in the listing, i.e. newer.
      const descBefore = yield* call(server, "GET", `/v1/runs/${runIds[0]}/steps?before=${stepIds[1]}`)
      expect(descBefore.json).toEqual([])
      const descAfter = yield* call(server, "GET", `/v1/runs/${runIds[0]}/steps?after=${stepIds[1]}`)
      expect(descAfter.json.map((s: any) => s.id)).toEqual([stepIds[0]])
    }))
})
