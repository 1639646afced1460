/**
 * A long run survives a dropped connection: a `background: true` send runs on the server
 * whatever happens to the connection, and the stream resumes from the last `seq_id` it
 * delivered, so the reply arrives whole, each event once.
 *
 * On the embedded server (the default, offline) the example makes the server drop the
 * first connection after a few events, to show it. With LETTA_BASE_URL set it talks to a
 * real server (which needs Redis for background mode) and nothing is dropped on purpose:
 *
 *   npx tsx examples/background.ts "Write a long story"
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "long-runner",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })

  const embedded = yield* Effect.serviceOption(LettaTestServer.LettaTestServer)
  if (Option.isSome(embedded)) {
    // The send's connection is cut after its fourth event; the resumes are left alone.
    yield* embedded.value.injectFault(
      LettaTestServer.cut({ path: `/v1/agents/${agent.id}/messages`, afterEvents: 4 })
    )
  }

  const task = process.argv[2] ?? "Write a long story"
  yield* client.agents.messages.stream(agent.id, { input: task, background: true }).pipe(
    Stream.runForEach((message) => {
      const seq = "seq_id" in message && message.seq_id != null ? `#${message.seq_id} ` : ""
      switch (message.message_type) {
        case "reasoning_message":
          return Console.log(`${seq}(thinking) ${message.reasoning}`)
        case "assistant_message":
          return Console.log(
            `${seq}agent: ${
              typeof message.content === "string" ? message.content : message.content.map((p) => p.text).join("")
            }`
          )
        case "stop_reason":
          return Console.log(`stop reason: ${message.stop_reason}`)
        default:
          return Effect.void
      }
    })
  )

  if (Option.isSome(embedded)) {
    const connections = (yield* embedded.value.requests).filter((r) => /\/(messages|stream)$/.test(r.path))
    yield* Console.log(
      `connections: ${connections.map((r) => r.path.replace(/^\/v1\/(agents|runs)\/[^/]+/, "/v1/$1/…")).join(", ")}`
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
