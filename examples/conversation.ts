/**
 * Conversations: one agent, several separate threads. Each conversation keeps its own
 * history (the agent's memory blocks are shared), so a user can have one thread per topic
 * and pick any of them up later. Messages to a conversation stream like messages to the
 * agent; its history pages as a `Stream`.
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline:
 *
 *   npx tsx examples/conversation.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Stream } from "effect"
import { Accumulator, LettaClient, type Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

/** The text of a message's content; a user's may hold images too. */
const textOf = (content: string | ReadonlyArray<{ readonly type: string }>) =>
  typeof content === "string"
    ? content
    : content.map((part) => ("text" in part ? String(part.text) : `[${part.type}]`)).join("")

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "planner",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })
  const trip = yield* client.conversations.create(agent.id, { summary: "Weekend trip" })
  const release = yield* client.conversations.create(agent.id, { summary: "Release notes" })
  const names = new Map([[trip.id, "trip"], [release.id, "release"]])

  // Interleaved sends: each goes to its own thread.
  const turns: ReadonlyArray<readonly [Schemas.Conversation, string]> = [
    [trip, "Plan a weekend in Lisbon"],
    [release, "Draft the notes for version 2.0"],
    [trip, "Add a day trip to Sintra"]
  ]
  for (const [conversation, text] of turns) {
    yield* Console.log(`[${names.get(conversation.id)}] > ${text}`)
    yield* client.conversations.messages.stream(conversation.id, { input: text, stream_tokens: true }).pipe(
      Accumulator.accumulate, // whole messages; see examples/stream.ts for token by token
      Stream.runForEach((message) =>
        message.message_type === "assistant_message"
          ? Console.log(`[${names.get(conversation.id)}] agent: ${textOf(message.content)}`)
          : Effect.void
      )
    )
  }

  // Each history holds its own thread only, oldest first.
  for (const conversation of [trip, release]) {
    yield* Console.log(`\n${names.get(conversation.id)} (${conversation.summary}):`)
    yield* client.conversations.messages.list(conversation.id, { order: "asc" }).pipe(
      Stream.runForEach((message) => {
        switch (message.message_type) {
          case "user_message":
            return Console.log(`  user: ${textOf(message.content)}`)
          case "assistant_message":
            return Console.log(`  agent: ${textOf(message.content)}`)
          default:
            return Effect.void
        }
      })
    )
  }
  yield* client.agents.delete(agent.id)
})

// A real server when LETTA_BASE_URL is set, the embedded one otherwise.
const Letta = Layer.unwrapEffect(
  Effect.map(
    Config.option(Config.string("LETTA_BASE_URL")),
    (baseUrl) => Option.isSome(baseUrl) ? LettaClient.layerConfig() : LettaTestServer.layerClient()
  )
)

program.pipe(
  Effect.provide(Letta.pipe(Layer.provide(NodeHttpClient.layerUndici))),
  Effect.tapErrorCause(Effect.logError),
  NodeRuntime.runMain
)
