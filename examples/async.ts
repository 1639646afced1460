/**
 * Fire and poll: start an agent turn as an async run, wait for it by polling the run (quick
 * first polls, backing off), then read what it produced. A run that ends with an error stop
 * reason fails typed, even when its status says `completed`.
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline:
 *
 *   npx tsx examples/async.ts "Summarise our last meeting"
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "async-worker",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })
  const task = process.argv[2] ?? "Summarise our last meeting"

  const { messages, run, usage } = yield* client.agents.messages.createAsyncAndAwait(
    agent.id,
    { input: task },
    { timeout: "10 minutes" }
  ).pipe(
    // Judged by the stop reason: the error still carries the whole run.
    Effect.tapErrorTag("RunFailedError", (error) =>
      Console.error(`run ${error.run.id} failed: ${error.run.stop_reason ?? error.run.status}`))
  )
  yield* Console.log(`run ${run.id}: ${run.status} (${run.stop_reason})`)
  for (const message of messages) {
    if (message.message_type === "assistant_message") {
      const text = typeof message.content === "string"
        ? message.content
        : message.content.map((part) => part.text).join("")
      yield* Console.log(`agent: ${text}`)
    }
  }
  yield* Console.log(`tokens used: ${usage.total_tokens}`)
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
