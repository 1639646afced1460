/**
 * The tool loop end to end against the embedded server, whose scripted agent calls the
 * client tools a message names (`/tool <name> <args>`, several at once for parallel calls,
 * `/rounds n` to keep asking) and asks for approval of its server-side `delete_records`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Layer, Option, Ref, Schema, Stream } from "effect"
import { ClientTools, LettaClient, type LettaError, type Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import * as FaultProxy from "../support/faultProxy.js"
import { httpClients, serverAndClient, services } from "./harness.js"

const calculator = ClientTools.make("calculator", {
  description: "Does one arithmetic operation on two numbers",
  parameters: Schema.Struct({
    operation: Schema.Literal("add", "subtract", "multiply", "divide"),
    a: Schema.Number,
    b: Schema.Number
  }),
  success: Schema.Number,
  handler: ({ a, b, operation }) =>
    operation === "divide" && b === 0
      ? Effect.fail(new Error("cannot divide by zero"))
      : Effect.succeed(
        operation === "add" ? a + b : operation === "subtract" ? a - b : operation === "multiply" ? a * b : a / b
      )
})

const toolkit = ClientTools.toolkit(calculator)

const textOf = (messages: ReadonlyArray<Schemas.LettaMessage | Schemas.LettaStreamingMessage>): string =>
  messages.flatMap((m) =>
    m.message_type === "assistant_message"
      ? [typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("")]
      : []
  ).join("")

const stopReasons = (messages: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  messages.flatMap((m) => (m.message_type === "stop_reason" ? [m.stop_reason] : []))

const anAgent = Effect.gen(function*() {
  const { client, server } = yield* services
  const agent = yield* client.agents.create({ name: "tool-user", parallel_tool_calls: true })
  return { client, server, agent }
})

/** The approval responses the agent's history holds, oldest first. */
const approvalsOf = (agentId: string) =>
  Effect.gen(function*() {
    const { client } = yield* services
    const history = yield* Stream.runCollect(client.agents.messages.list(agentId, { order: "asc" }))
    return Chunk.toReadonlyArray(history).flatMap((m) =>
      m.message_type === "approval_response_message" ? [m.approvals ?? []] : []
    )
  })

for (const http of httpClients) {
  describe(`tool loop over ${http.name}`, () => {
    it.effect("one tool: the call is run, its result sent back tagged, and the agent answers with it", () =>
      Effect.gen(function*() {
        const { agent, server } = yield* anAgent
        const result = yield* ClientTools.send(agent.id, {
          input: `What is 2 + 3? /tool calculator {"operation":"add","a":2,"b":3}`
        }, { toolkit })
        expect(result.rounds).toBe(1)
        expect(result.stop_reason.stop_reason).toBe("end_turn")
        expect(textOf(result.messages)).toBe("calculator: 5")
        expect(result.usage.step_count).toBeGreaterThanOrEqual(2)
        const request = result.messages.find((m) => m.message_type === "approval_request_message")
        expect(request).toBeDefined()

        // What went on the wire: the toolkit as client_tools on both sends, the answer
        // as an ApprovalCreate with every type tag and an otid.
        const bodies = (yield* server.requests)
          .filter((r) => r.method === "POST" && r.path.endsWith("/messages"))
          .map((r) => JSON.parse(r.body))
        expect(bodies.length).toBe(2)
        for (const body of bodies) expect(body.client_tools.map((t: { name: string }) => t.name)).toEqual(["calculator"])
        const [approval] = bodies[1].messages
        expect(approval).toEqual({
          type: "approval",
          otid: expect.stringMatching(/^[0-9a-f-]{36}$/),
          approvals: [{
            type: "tool",
            tool_call_id: expect.stringMatching(/^call_/),
            status: "success",
            tool_return: "5"
          }]
        })
        expect(yield* approvalsOf(agent.id)).toEqual([[expect.objectContaining({ type: "tool", tool_return: "5" })]])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("parallel calls run at the same time and each result goes to its own call", () =>
      Effect.gen(function*() {
        const { agent } = yield* anAgent
        // Each handler waits for the other to start: only a parallel run can finish.
        const started = { a: yield* Deferred.make<void>(), b: yield* Deferred.make<void>() }
        const meet = ClientTools.make("meet", {
          parameters: Schema.Struct({ who: Schema.Literal("a", "b") }),
          handler: ({ who }) =>
            Deferred.succeed(started[who], undefined).pipe(
              Effect.zipRight(Deferred.await(started[who === "a" ? "b" : "a"])),
              Effect.as(`met ${who}`)
            )
        })
        const messages = Chunk.toReadonlyArray(
          yield* Stream.runCollect(ClientTools.stream(agent.id, {
            input: `/tool meet {"who":"a"} /tool meet {"who":"b"} /tool calculator {"operation":"multiply","a":6,"b":7}`
          }, { toolkit: ClientTools.toolkit(meet, calculator) }))
        )
        expect(stopReasons(messages)).toEqual(["requires_approval", "end_turn"])
        expect(textOf(messages)).toBe("meet: met a\nmeet: met b\ncalculator: 42")
        const [answers] = yield* approvalsOf(agent.id)
        const request = messages.find((m) => m.message_type === "approval_request_message")!
        const calls = (request as Schemas.ApprovalRequestMessage).tool_calls as ReadonlyArray<Schemas.ToolCall>
        expect(calls.length).toBe(3)
        expect(answers!.map((a) => a.tool_call_id)).toEqual(calls.map((c) => c.tool_call_id))
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a failing tool and arguments that do not decode go back as errors, and the loop goes on", () =>
      Effect.gen(function*() {
        const { agent } = yield* anAgent
        const result = yield* ClientTools.send(agent.id, {
          input: `/tool calculator {"operation":"divide","a":1,"b":0} /tool calculator {"operation":"power","a":"x"}` +
            ` /tool calculator {"operation": add}`
        }, { toolkit })
        expect(result.stop_reason.stop_reason).toBe("end_turn")
        const lines = textOf(result.messages).split("\n")
        expect(lines[0]).toBe("calculator failed: Error: cannot divide by zero")
        expect(lines[1]).toMatch(/^calculator failed: Invalid arguments for calculator:/)
        expect(lines).toContain(`│  └─ Expected number, actual "x"`)
        expect(lines).toContain(`   └─ is missing`)
        expect(lines.at(-1)).toMatch(/^calculator failed: The arguments for calculator are not valid JSON/)
        const [answers] = yield* approvalsOf(agent.id)
        expect(answers!.map((a) => a.type === "tool" && a.status)).toEqual(["error", "error", "error"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("token streams: calls are read from merged deltas", () =>
      Effect.gen(function*() {
        const { agent } = yield* anAgent
        const messages = Chunk.toReadonlyArray(yield* Stream.runCollect(ClientTools.stream(agent.id, {
          input: `use the calculator to multiply 12 by 12, please`,
          stream_tokens: true
        }, { toolkit })))
        expect(stopReasons(messages)).toEqual(["requires_approval", "end_turn"])
        expect(textOf(messages)).toBe("calculator: 144")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    describe("approvals of server-side tools", () => {
      it.effect("the approver decides; a denial's reason reaches the agent", () =>
        Effect.gen(function*() {
          const { agent } = yield* anAgent
          const asked = yield* Ref.make<ReadonlyArray<ClientTools.ApprovalRequest>>([])
          const run = (decision: ClientTools.Decision) =>
            ClientTools.send(agent.id, { input: `/tool delete_records {"table":"users"}` }, {
              toolkit,
              approve: (request) => Ref.update(asked, (all) => [...all, request]).pipe(Effect.as(decision))
            })
          const approved = yield* run(ClientTools.approve)
          expect(textOf(approved.messages)).toBe("delete_records: Deleted 3 records from users")
          const denied = yield* run(ClientTools.deny("not on a Friday"))
          expect(textOf(denied.messages)).toMatch(/^delete_records failed: .*not on a Friday/)
          const requests = yield* Ref.get(asked)
          expect(requests.map((r) => [r.toolCall.name, JSON.parse(r.toolCall.arguments)])).toEqual([
            ["delete_records", { table: "users" }],
            ["delete_records", { table: "users" }]
          ])
          expect(requests.every((r) => r.runId?.startsWith("run-"))).toBe(true)
          const answers = yield* approvalsOf(agent.id)
          expect(answers.map((items) => items.map((a) => a.type === "approval" && [a.approve, a.reason ?? null]))).toEqual([
            [[true, null]],
            [[false, "not on a Friday"]]
          ])
        }).pipe(Effect.provide(serverAndClient(http.layer))))

      it.effect("without an approver: ApprovalRequiredError at once, no tool run, and the agent still waits", () =>
        Effect.gen(function*() {
          const { agent, client } = yield* anAgent
          const ran = yield* Ref.make(0)
          const counted = ClientTools.make("calculator", {
            parameters: Schema.Struct({}),
            handler: () => Ref.update(ran, (n) => n + 1)
          })
          const error = yield* ClientTools.send(agent.id, {
            input: `/tool calculator {} /tool delete_records {"table":"logs"}`
          }, { toolkit: ClientTools.toolkit(counted) }).pipe(Effect.flip)
          expect(error._tag).toBe("ApprovalRequiredError")
          const required = error as LettaError.ApprovalRequiredError
          expect(required.toolCalls.map((c) => c.name)).toEqual(["delete_records"])
          expect(required.runId).toMatch(/^run-/)
          expect(required.message).toContain("delete_records")
          expect(yield* Ref.get(ran)).toBe(0)
          const pending = yield* client.agents.messages.create(agent.id, { input: "hello?" }).pipe(Effect.flip)
          expect(pending._tag === "ConflictError" && pending.reason).toBe("pending_approval")
        }).pipe(Effect.provide(serverAndClient(http.layer))))
    })

    it.effect("the round limit: the agent may ask maxRounds times, and no more", () =>
      Effect.gen(function*() {
        const { agent } = yield* anAgent
        const ran = yield* Ref.make(0)
        const counted = ClientTools.make("calculator", {
          parameters: Schema.Struct({}),
          handler: () => Ref.updateAndGet(ran, (n) => n + 1)
        })
        const kit = ClientTools.toolkit(counted)
        const enough = yield* ClientTools.send(agent.id, { input: "/tool calculator {} /rounds 3" }, {
          toolkit: kit,
          maxRounds: 3
        })
        expect(enough.rounds).toBe(3)
        expect(textOf(enough.messages)).toBe("calculator: 3")

        const error = yield* Stream.runDrain(ClientTools.stream(agent.id, { input: "/tool calculator {} /rounds 3" }, {
          toolkit: kit,
          maxRounds: 2
        })).pipe(Effect.flip)
        expect(error._tag).toBe("ToolRoundLimitError")
        expect((error as LettaError.ToolRoundLimitError).maxRounds).toBe(2)
        expect((error as LettaError.ToolRoundLimitError).toolCalls.map((c) => c.name)).toEqual(["calculator"])
        expect(yield* Ref.get(ran)).toBe(5)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("interrupting the loop mid-handler interrupts the handler and sends nothing more", () =>
      Effect.gen(function*() {
        const { agent, server } = yield* anAgent
        const started = yield* Deferred.make<void>()
        const interrupted = yield* Deferred.make<void>()
        const stuck = ClientTools.make("calculator", {
          parameters: Schema.Struct({}),
          handler: () =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.never),
              Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
            )
        })
        yield* server.clearRequests
        const fiber = yield* Effect.fork(Stream.runDrain(
          ClientTools.stream(agent.id, { input: "/tool calculator {}" }, { toolkit: ClientTools.toolkit(stuck) })
        ))
        yield* Deferred.await(started)
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        expect(yield* Deferred.isDone(interrupted)).toBe(true)
        const posts = (yield* server.requests).filter((r) => r.method === "POST")
        expect(posts.length).toBe(1)
        expect(yield* approvalsOf(agent.id)).toEqual([])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("conversations, in the background: a lost answer is retried with the same results, no handler runs twice", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const proxy = yield* FaultProxy.make(server.url)
        const agent = yield* client.agents.create({ name: "tool-user", parallel_tool_calls: true })
        const conversation = yield* client.conversations.create(agent.id)
        const ran = yield* Ref.make(0)
        const counted = ClientTools.make("calculator", {
          parameters: Schema.Struct({}),
          handler: () => Ref.updateAndGet(ran, (n) => n + 1)
        })
        yield* server.clearRequests
        // Through the proxy: the first send passes, the answer to the second (the tool
        // result) is lost after the server has taken it.
        const viaProxy = ClientTools.stream({ conversationId: conversation.id }, {
          input: "/tool calculator {}",
          background: true
        }, { toolkit: ClientTools.toolkit(counted) })
        yield* proxy.next({ _tag: "Pass" })
        yield* proxy.next({ _tag: "Destroy" })
        const messages = Chunk.toReadonlyArray(yield* Stream.runCollect(viaProxy).pipe(
          Effect.provide(
            LettaClient.layer({ baseUrl: proxy.url, retry: { initialDelay: 0 } }).pipe(Layer.provide(http.layer))
          )
        ))
        expect(textOf(messages)).toBe("calculator: 1")
        expect(yield* Ref.get(ran)).toBe(1)
        const sends = (yield* server.requests).filter((r) => r.method === "POST" && r.path.endsWith("/messages"))
        expect(sends.length).toBe(3)
        expect(sends[1]!.body).toBe(sends[2]!.body)
        const history = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.conversations.messages.list(conversation.id, { order: "asc" }))
        )
        expect(history.filter((m) => m.message_type === "approval_response_message").length).toBe(1)
      }).pipe(Effect.provide(serverAndClient(http.layer)), Effect.scoped))
  })
}

describe("tool loop options", () => {
  it.effect("bad options and toolkits fail with InvalidRequestError before anything is sent", () =>
    Effect.gen(function*() {
      const { agent, server } = yield* anAgent
      yield* server.clearRequests
      const twice = ClientTools.toolkit(calculator, calculator)
      const errors = yield* Effect.all([
        ClientTools.send(agent.id, { input: "hi" }, { toolkit: twice }).pipe(Effect.flip),
        ClientTools.send(agent.id, { input: "hi" }, { toolkit, maxRounds: -1 }).pipe(Effect.flip),
        Stream.runDrain(ClientTools.stream(agent.id, { input: "hi" }, { toolkit, concurrency: 0 })).pipe(Effect.flip)
      ])
      expect(errors.map((e) => e._tag)).toEqual(["InvalidRequestError", "InvalidRequestError", "InvalidRequestError"])
      expect((yield* server.requests).length).toBe(0)
    }).pipe(Effect.provide(serverAndClient(httpClients[0]!.layer))))

  it.effect("a message that calls no tool is one plain round", () =>
    Effect.gen(function*() {
      const { agent } = yield* anAgent
      const result = yield* ClientTools.send(agent.id, { input: "just chatting" }, { toolkit })
      expect(result.rounds).toBe(0)
      expect(textOf(result.messages)).toBe("You said: just chatting")
    }).pipe(Effect.provide(serverAndClient(httpClients[0]!.layer))))

  it.effect("resuming: the calls an agent waits for are read from its history and answered, then the loop goes on", () =>
    Effect.gen(function*() {
      const { agent, client } = yield* anAgent
      expect(yield* ClientTools.pending(agent.id)).toEqual(Option.none())

      // A loop without an approver stops at the approval; the agent waits.
      const required = yield* ClientTools.send(agent.id, { input: `/tool delete_records {"table":"logs"}` }, {
        toolkit
      }).pipe(Effect.flip)
      expect(required._tag).toBe("ApprovalRequiredError")
      const waiting = yield* ClientTools.pending(agent.id)
      expect(Option.getOrThrow(waiting)).toEqual({
        toolCalls: (required as LettaError.ApprovalRequiredError).toolCalls,
        runId: (required as LettaError.ApprovalRequiredError).runId
      })
      const resumed = yield* ClientTools.resume(agent.id, required as LettaError.ApprovalRequiredError, {
        toolkit,
        approve: () => Effect.succeed(ClientTools.approve)
      })
      expect([resumed.rounds, textOf(resumed.messages)]).toEqual([1, "delete_records: Deleted 3 records from logs"])
      expect(yield* ClientTools.pending(agent.id)).toEqual(Option.none())

      // A loop interrupted while its tool ran: the pending calls, answered by a resumed stream.
      const started = yield* Deferred.make<void>()
      const stuck = ClientTools.make("calculator", {
        parameters: Schema.Struct({}),
        handler: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never))
      })
      const fiber = yield* Effect.fork(Stream.runDrain(
        ClientTools.stream(agent.id, { input: `/tool calculator {"operation":"add","a":1,"b":1}` }, {
          toolkit: ClientTools.toolkit(stuck)
        })
      ))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      const blocked = yield* client.agents.messages.create(agent.id, { input: "hello?" }).pipe(Effect.flip)
      expect(blocked._tag === "ConflictError" && blocked.reason).toBe("pending_approval")
      const calls = Option.getOrThrow(yield* ClientTools.pending(agent.id))
      expect(calls.toolCalls.map((c) => c.name)).toEqual(["calculator"])
      const messages = Chunk.toReadonlyArray(yield* Stream.runCollect(
        ClientTools.resumeStream(agent.id, calls, { toolkit, settings: { stream_tokens: true } })
      ))
      expect(textOf(messages)).toBe("calculator: 2")
      expect(stopReasons(messages)).toEqual(["end_turn"])
      expect(textOf((yield* client.agents.messages.create(agent.id, { input: "hello?" })).messages)).toBe(
        "You said: hello?"
      )
    }).pipe(Effect.provide(serverAndClient(httpClients[0]!.layer))))

  it.effect("a server that stops for approval without naming a call: a DecodeError, not a loop", () =>
    Effect.gen(function*() {
      const { agent, server } = yield* anAgent
      yield* server.injectFault(LettaTestServer.respond({
        method: "POST",
        path: `/v1/agents/${agent.id}/messages`,
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          messages: [],
          stop_reason: { message_type: "stop_reason", stop_reason: "requires_approval" },
          usage: { message_type: "usage_statistics", run_ids: ["run-x"] }
        })
      }))
      const error = yield* ClientTools.send(agent.id, { input: "hi" }, { toolkit }).pipe(Effect.flip)
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("requires_approval but named no tool call")
      expect(error.message).toContain("run run-x")
    }).pipe(Effect.provide(serverAndClient(httpClients[0]!.layer))))

  it.effect("LettaTestServer names its approval tool", () =>
    Effect.sync(() => expect(LettaTestServer.approvalTool.name).toBe("delete_records")))
})
