/**
 * Real SSE bodies to fuzz from: the embedded server's own streams (step and token mode,
 * foreground and background, every scripted ending), exactly as written to the socket, and
 * the example streams in ../shared/letta/examples when that folder exists (skipped cleanly
 * when it does not, so a clone without ../shared still passes).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface Sample {
  readonly name: string
  readonly body: string
}

const examplesDir = fileURLToPath(new URL("../../../shared/letta/examples/", import.meta.url))

/** The example streams, without their `#` header lines; none when ../shared is absent. */
export const exampleStreams = (): Array<Sample> => {
  if (!existsSync(examplesDir)) return []
  return readdirSync(examplesDir)
    .filter((file) => file.endsWith(".sse") || file === "lettacode_fixture_frames.txt")
    .sort()
    .map((file) => ({
      name: file,
      body: readFileSync(examplesDir + file, "utf8").split("\n").filter((line) => !line.startsWith("#")).join("\n")
    }))
}

/** Inputs whose streams cover the server's modes and endings (see `LettaTestServer`). */
const scripts: ReadonlyArray<{ readonly input: string; readonly tokens: boolean; readonly background: boolean }> = [
  { input: "hello there", tokens: false, background: false },
  { input: "hello there, token by token", tokens: true, background: false },
  { input: "in the background", tokens: true, background: true },
  { input: "in the background, step by step", tokens: false, background: true },
  { input: "oops /end error-after-output", tokens: true, background: false },
  { input: "oops /end error-plain", tokens: false, background: false },
  { input: "stop /end cancelled", tokens: true, background: false },
  { input: "stop /end cancelled-step", tokens: false, background: false },
  { input: "stop /end cancelled-event", tokens: false, background: false },
  { input: "again /end retry", tokens: true, background: false },
  { input: "bare /end no-done", tokens: false, background: false },
  { input: "/llm-error llm_rate_limit", tokens: false, background: false },
  { input: "/fail it broke", tokens: true, background: true },
  { input: "oops /end error-after-output", tokens: true, background: true }
]

/** The embedded server's streams for {@link scripts}, as written to the socket. */
export const serverStreams: Effect.Effect<Array<Sample>> = Effect.gen(function*() {
  const server = yield* LettaTestServer.make()
  yield* Effect.gen(function*() {
    const client = yield* LettaClient.LettaClient
    // A model the server streams token by token.
    const agent = yield* client.agents.create({ name: "corpus", model: "openai/gpt-4o-mini" })
    for (const script of scripts) {
      yield* Stream.runDrain(
        client.agents.messages.stream(agent.id, {
          input: script.input,
          stream_tokens: script.tokens,
          ...(script.background ? { background: true } : {})
        }, { resume: false })
      ).pipe(Effect.ignore)
    }
  }).pipe(
    Effect.provide(LettaClient.layer({ baseUrl: server.url, retry: false }).pipe(Layer.provide(NodeHttpClient.layerUndici)))
  )
  const streams = yield* server.streams
  return streams.map((stream, index) => ({
    name: `server: ${scripts[index]?.input ?? stream.path}`,
    body: stream.frames.join("")
  }))
}).pipe(Effect.scoped, Effect.orDie)

/** Both sources. */
export const loadCorpus: Effect.Effect<Array<Sample>> = Effect.map(
  serverStreams,
  (streams) => [...streams, ...exampleStreams()]
)
