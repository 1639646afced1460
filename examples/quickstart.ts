/**
 * Quickstart: create an agent, send it a message, print the reply.
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set (plus LETTA_API_KEY for Letta
 * Cloud); otherwise it starts the embedded Letta-compatible server on 127.0.0.1, so it runs
 * offline:
 *
 *   npx tsx examples/quickstart.ts
 *   LETTA_BASE_URL=https://api.letta.com LETTA_API_KEY=sk-... npx tsx examples/quickstart.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option } from "effect"
import { LettaClient, type Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const textOf = (content: Schemas.AssistantMessage["content"]) =>
  typeof content === "string" ? content : content.map((part) => part.text).join("")

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient

  const agent = yield* client.agents.create({
    name: "quickstart",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small",
    memory_blocks: [
      { label: "human", value: "The user is trying out effect-letta." },
      { label: "persona", value: "A concise, friendly assistant." }
    ]
  })
  yield* Console.log(`Created agent ${agent.id}`)

  const response = yield* client.agents.messages.create(agent.id, { input: "Hello! What can you do?" })
  for (const message of response.messages) {
    if (message.message_type === "reasoning_message") yield* Console.log(`  (thinking) ${message.reasoning}`)
    if (message.message_type === "assistant_message") yield* Console.log(`agent: ${textOf(message.content)}`)
  }
  yield* Console.log(`stop reason: ${response.stop_reason.stop_reason}, tokens used: ${response.usage.total_tokens}`)

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
