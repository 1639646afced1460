/**
 * The client against the embedded server's real streams: token and step mode, every
 * end-of-stream variant the real server produces, dropped connections, keep-alive pings,
 * cancellation, and the conversations API.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Stream, TestClock } from "effect"
import { Accumulator, type LettaError, type Schemas } from "effect-letta"
import { httpClients, serverAndClient, services } from "./harness.js"

const collect = <E>(stream: Stream.Stream<Schemas.LettaStreamingMessage, E>) =>
  Effect.gen(function*() {
    const items: Array<Schemas.LettaStreamingMessage> = []
    const exit = yield* Stream.runForEach(stream, (item) => Effect.sync(() => items.push(item))).pipe(Effect.exit)
    return { items, types: items.map((m) => m.message_type), exit }
  })

const failureOf = <E>(exit: Exit.Exit<void, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

const texts = (messages: ReadonlyArray<Schemas.LettaStreamingMessage>) =>
  messages.flatMap((m) =>
    m.message_type === "reasoning_message"
      ? [["reasoning", m.reasoning]]
      : m.message_type === "assistant_message"
      ? [["assistant", m.content]]
      : []
  )

/** Lets real I/O catch up: until the client has read as many events as the server wrote. */
const settle = (
  server: { readonly streams: Effect.Effect<ReadonlyArray<{ readonly frames: ReadonlyArray<string> }>> },
  received: () => number
) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      const streams = yield* server.streams
      const written = streams[streams.length - 1]?.frames.filter((f) => f !== "data: [DONE]\n\n").length ?? 0
      if (received() >= written) return
      // One turn of the event loop (not a sleep): lets the socket deliver what was written.
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
  })

const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "s", model: "openai/gpt-4o-mini" }))

for (const http of httpClients) {
  describe(`server streams over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)

    it.effect("token deltas accumulate into exactly the step-mode messages", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const input = "tell me about the weather in Paris today"
        const tokens = yield* collect(client.agents.messages.stream(agent.id, { input, stream_tokens: true }))
        expect(Exit.isSuccess(tokens.exit)).toBe(true)
        // Many deltas, all sharing the response's id, one otid per part.
        const deltas = tokens.items.filter((m) => m.message_type === "assistant_message")
        expect(deltas.length).toBeGreaterThan(3)
        expect(new Set(deltas.map((m) => m.message_type === "assistant_message" && m.id)).size).toBe(1)
        const steps = yield* collect(client.agents.messages.stream(agent.id, { input }))
        expect(texts(Accumulator.fold(tokens.items))).toEqual(texts(steps.items))
        expect(texts(steps.items)).toEqual([
          ["reasoning", `The user said "${input}". I'll answer.`],
          ["assistant", `You said: ${input}`]
        ])
        // The streaming operator gives the same, message by message.
        const accumulated = yield* Stream.runCollect(
          Accumulator.accumulate(client.agents.messages.stream(agent.id, { input, stream_tokens: true }))
        )
        expect(texts(Chunk.toReadonlyArray(accumulated))).toEqual(texts(steps.items))
      }).pipe(Effect.provide(layer)))

    it.effect("every end-of-stream variant of the real server ends the stream as it should", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const end = (variant: string) => collect(client.agents.messages.stream(agent.id, { input: `hi /end ${variant}` }))

        const afterOutput = yield* end("error-after-output")
        expect(afterOutput.types).toContain("assistant_message")
        expect(afterOutput.types[afterOutput.types.length - 1]).toBe("stop_reason")
        const error = failureOf(afterOutput.exit) as LettaError.StreamError
        expect([error._tag, error.errorType]).toEqual(["StreamError", "internal_error"])
        expect(error.runId).toMatch(/^run-/)

        const plain = failureOf((yield* end("error-plain")).exit) as LettaError.StreamError
        expect([plain._tag, plain.errorType]).toEqual(["StreamError", "INTERNAL_SERVER_ERROR"])

        for (const variant of ["cancelled", "cancelled-step", "cancelled-event"]) {
          const cancelled = yield* end(variant)
          expect(failureOf(cancelled.exit)._tag, variant).toBe("StreamCancelledError")
          expect(cancelled.types, variant).toContain("assistant_message")
          expect(cancelled.types, variant).not.toContain("usage_statistics")
        }

        const retried = yield* end("retry")
        expect(Exit.isSuccess(retried.exit)).toBe(true)
        expect(retried.items.flatMap((m) => m.message_type === "stop_reason" ? [m.stop_reason] : [])).toEqual([
          "error",
          "end_turn"
        ])

        const noDone = yield* end("no-done")
        expect(failureOf(noDone.exit)._tag).toBe("StreamTruncatedError")
        expect(noDone.types.slice(-2)).toEqual(["stop_reason", "usage_statistics"])

        const llm = failureOf((yield* collect(client.agents.messages.stream(agent.id, { input: "/llm-error llm_rate_limit" })))
          .exit) as LettaError.StreamError
        expect([llm._tag, llm.errorType]).toEqual(["StreamError", "llm_rate_limit"])
      }).pipe(Effect.provide(layer)))

    it.effect("a dropped connection is a truncation that knows the run", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const cut = yield* collect(client.agents.messages.stream(agent.id, { input: "hello there friend /cut 3", stream_tokens: true }))
        const error = failureOf(cut.exit) as LettaError.StreamTruncatedError
        expect(error._tag).toBe("StreamTruncatedError")
        expect(error.runId).toMatch(/^run-/)
        // Three events were written: the (filtered) ping and two deltas.
        expect(cut.items.length).toBe(2)
        expect(error.description).toBeDefined()
      }).pipe(Effect.provide(layer)))

    it.effect("keep-alive pings hold a slow stream open past the idle limit", () =>
      Effect.gen(function*() {
        const { client, server } = yield* services
        const agent = yield* newAgent
        // Each event takes 45 s; the server pings after 20 s of silence; the client allows 30 s.
        const received = { n: 0 }
        const fiber = yield* Effect.fork(collect(client.agents.messages.stream(
          agent.id,
          { input: "slow /slow 45000" },
          { includePings: true, timeouts: { idle: "30 seconds" } }
        ).pipe(Stream.tap(() => Effect.sync(() => received.n++)))))
        // Time moves in 5 s steps, and only once the client has read everything the server
        // wrote: the test clock must not outrun the real I/O it is waiting on.
        while (fiber.unsafePoll() === null) {
          yield* TestClock.adjust("5 seconds")
          yield* settle(server, () => received.n)
        }
        const result = yield* Fiber.join(fiber)
        expect(Exit.isSuccess(result.exit)).toBe(true)
        expect(result.types.filter((t) => t === "ping").length).toBeGreaterThan(3)
        expect(result.types).toContain("assistant_message")
      }).pipe(Effect.provide(layer)))

    it.effect("without keep-alive pings, the same stream hits the idle limit", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const fiber = yield* Effect.fork(collect(client.agents.messages.stream(
          agent.id,
          { input: "slow /slow 45000", include_pings: false },
          { timeouts: { idle: "30 seconds", headers: "10 minutes" } }
        )))
        for (let i = 0; i < 20; i++) yield* TestClock.adjust("5 seconds")
        const error = failureOf((yield* Fiber.join(fiber)).exit) as LettaError.TimeoutError
        expect([error._tag, error.limit]).toEqual(["TimeoutError", "idle"])
      }).pipe(Effect.provide(layer)))

    it.effect("cancelling the run ends its stream as cancelled, and the run is cancelled", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const seen: Array<Schemas.LettaStreamingMessage> = []
        const fiber = yield* Effect.fork(
          Stream.runForEach(
            client.agents.messages.stream(agent.id, { input: "a long answer /slow 1000", stream_tokens: true }, {
              includePings: true
            }),
            (m) => Effect.sync(() => seen.push(m))
          ).pipe(Effect.flip)
        )
        // Let a few events through, then cancel the run from the side.
        for (let i = 0; i < 3; i++) yield* TestClock.adjust("1 second")
        yield* Effect.repeat(Effect.sync(() => seen.length), { until: (n) => n >= 2 })
        const runId = seen[0].message_type === "ping" ? seen[0].run_id! : ""
        expect(yield* client.agents.messages.cancel(agent.id, { run_ids: [runId] })).toEqual({ [runId]: "cancelled" })
        for (let i = 0; i < 5; i++) yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("StreamCancelledError")
        const run = yield* client.runs.retrieve(runId)
        expect([run.status, run.stop_reason]).toEqual(["cancelled", "cancelled"])
      }).pipe(Effect.provide(layer)))
  })

  describe(`conversations over ${http.name}`, () => {
    const layer = serverAndClient(http.layer)

    it.effect("create, send as JSON and as a stream, list both ways, retrieve", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const conversation = yield* client.conversations.create(agent.id, { summary: "trip planning" })
        expect(conversation.id).toMatch(/^conv-/)
        expect(conversation.agent_id).toBe(agent.id)
        expect((yield* client.conversations.retrieve(conversation.id)).summary).toBe("trip planning")

        const reply = yield* client.conversations.messages.create(conversation.id, { input: "first" })
        expect(reply.messages.map((m) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
        const streamed = yield* collect(client.conversations.messages.stream(conversation.id, { input: "second" }))
        expect(Exit.isSuccess(streamed.exit)).toBe(true)
        expect(streamed.types).toContain("assistant_message")

        const newestFirst = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.conversations.messages.list(conversation.id, { limit: 1 }))
        )
        const oldestFirst = Chunk.toReadonlyArray(
          yield* Stream.runCollect(client.conversations.messages.list(conversation.id, { order: "asc", limit: 1 }))
        )
        expect(newestFirst.length).toBeGreaterThanOrEqual(6)
        // Newest stored message first, the parts of one stored message in their order.
        expect(newestFirst.slice(0, 2).map((m) => m.message_type)).toEqual(["reasoning_message", "assistant_message"])
        expect(newestFirst.length).toBe(oldestFirst.length)
        expect(newestFirst[newestFirst.length - 1]).toEqual(oldestFirst[0])
        expect(oldestFirst.filter((m) => m.message_type === "user_message").length).toBe(2)
        // The agent's default thread is a separate history.
        const agentDirect = yield* client.conversations.messages.create("default", { input: "direct", agent_id: agent.id })
        expect(agentDirect.stop_reason.stop_reason).toBe("end_turn")
        const defaults = yield* client.conversations.messages.listPage("default", { agent_id: agent.id })
        expect(defaults.some((m) => m.message_type === "assistant_message" && m.content === "You said: direct")).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("a busy conversation answers 409 naming the run that holds it; cancel frees it", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const conversation = yield* client.conversations.create(agent.id)
        const first: Array<Schemas.LettaStreamingMessage> = []
        const holder = yield* Effect.fork(
          Stream.runForEach(
            client.conversations.messages.stream(conversation.id, { input: "slow /slow 10000" }, { includePings: true }),
            (m) => Effect.sync(() => first.push(m))
          ).pipe(Effect.exit)
        )
        yield* Effect.repeat(Effect.sync(() => first.length), { until: (n) => n >= 1 })
        const runId = first[0].message_type === "ping" ? first[0].run_id : undefined
        // Streaming sends take the conversation's lock (non-streaming ones do not).
        const second = yield* collect(client.conversations.messages.stream(conversation.id, { input: "me too" }))
        const busy = failureOf(second.exit) as LettaError.ConflictError
        expect([busy._tag, busy.reason, busy.runId]).toEqual(["ConflictError", "conversation_busy", runId])
        const cancelled = yield* client.conversations.cancel(conversation.id)
        expect(Object.keys(cancelled)).toEqual([runId])
        for (let i = 0; i < 15; i++) yield* TestClock.adjust("1 second")
        const holderExit = yield* Fiber.join(holder)
        expect(failureOf(holderExit)._tag).toBe("StreamCancelledError")
        const after = yield* client.conversations.messages.create(conversation.id, { input: "now" })
        expect(after.stop_reason.stop_reason).toBe("end_turn")
      }).pipe(Effect.provide(layer)))
  })
}
