/**
 * Streaming: send a message and print the agent's reply token by token as it arrives, its
 * reasoning dimmed. Token deltas are merged by the Accumulator, which also says when each
 * part is complete.
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline:
 *
 *   npx tsx examples/stream.ts "What makes a stream interruptible?"
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option, Stream } from "effect"
import { Accumulator, LettaClient, type Schemas } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text)
const write = (text: string) => Effect.sync(() => process.stdout.write(text))

/** The text of a reasoning or assistant message so far. */
const textOf = (message: Schemas.LettaStreamingMessage): string | undefined => {
  if (message.message_type === "reasoning_message") return message.reasoning
  if (message.message_type === "assistant_message") {
    return typeof message.content === "string" ? message.content : message.content.map((part) => part.text).join("")
  }
  return undefined
}

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "streamer",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })
  const question = process.argv[2] ?? "What makes a stream interruptible?"
  yield* write(`> ${question}\n`)

  // How much of each part (by otid) is already on the screen, and which part printed last:
  // a response's parts all complete together when it ends, so a new line starts whenever
  // the text switches to another part.
  const shown = new Map<string, number>()
  let current: string | undefined
  yield* client.agents.messages.stream(agent.id, { input: question, stream_tokens: true }).pipe(
    Accumulator.accumulateWithPartials,
    Stream.runForEach((update) => {
      const message = update.message
      const text = textOf(message)
      if (text !== undefined && "otid" in message) {
        // The server gives every part an otid; the id is a fallback for servers that do not.
        const key = message.otid ?? message.id ?? message.message_type
        const fresh = text.slice(shown.get(key) ?? 0)
        if (fresh === "") return Effect.void
        const lead = current !== undefined && current !== key ? "\n" : ""
        shown.set(key, text.length)
        current = key
        return write(lead + (message.message_type === "reasoning_message" ? dim(fresh) : fresh))
      }
      if (update._tag === "Complete" && message.message_type === "stop_reason") {
        return write(`${current === undefined ? "" : "\n"}${dim(`[stop reason: ${message.stop_reason}]`)}\n`)
      }
      return Effect.void
    })
  )
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
