/**
 * A chat on the terminal: replies stream in token by token, reasoning dimmed, and the agent
 * may call a small client-side tool (a clock), shown inline. Ctrl-C during a reply stops it
 * — the stream is interrupted and, with `cancelOnInterrupt`, the run is cancelled on the
 * server too — and returns to the prompt; Ctrl-C or Ctrl-D at the prompt leaves.
 *
 * Lines come from stdin, so it also runs non-interactively until the input ends:
 *
 *   npx tsx examples/chat.ts
 *   printf 'hello\nwhat time is it? use the clock\n' | npx tsx examples/chat.ts
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline (`/slow 300 hi` makes its reply slow
 * enough to interrupt).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Config, Effect, Exit, Layer, Option, Queue, Schema, Stream } from "effect"
import { Accumulator, ClientTools, LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import * as readline from "node:readline"

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text)
const write = (text: string) => Effect.sync(() => process.stdout.write(text))

const clock = ClientTools.make("clock", {
  description: "Tells the current time (UTC).",
  parameters: Schema.Struct({}),
  handler: () => Effect.map(Clock.currentTimeMillis, (now) => new Date(now).toUTCString())
})

/**
 * What the user does: lines (`None` once the input ends: Ctrl-D, or the end of piped input),
 * and Ctrl-C, which on a terminal readline reads as a key and otherwise arrives as SIGINT.
 */
const userInput = Effect.gen(function*() {
  const interactive = process.stdin.isTTY === true
  const lines = yield* Queue.unbounded<Option.Option<string>>()
  const interrupts = yield* Queue.unbounded<void>()
  const rl = yield* Effect.acquireRelease(
    Effect.sync(() => readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive })),
    (rl) => Effect.sync(() => rl.close())
  )
  const onInterrupt = () => Queue.unsafeOffer(interrupts, undefined)
  rl.on("line", (line) => Queue.unsafeOffer(lines, Option.some(line)))
  rl.on("close", () => Queue.unsafeOffer(lines, Option.none()))
  rl.on("SIGINT", onInterrupt)
  yield* Effect.acquireRelease(
    Effect.sync(() => process.on("SIGINT", onInterrupt)),
    () => Effect.sync(() => process.off("SIGINT", onInterrupt))
  )
  rl.setPrompt("> ")
  return {
    /** The next line, or `None` when the user leaves. Piped lines are echoed, as a transcript. */
    next: Effect.gen(function*() {
      if (interactive) rl.prompt()
      const line = yield* Effect.raceFirst(Queue.take(lines), Effect.as(Queue.take(interrupts), Option.none()))
      if (!interactive && Option.isSome(line)) yield* write(`> ${line.value}\n`)
      if (interactive && Option.isNone(line)) yield* write("\n")
      return line
    }),
    interrupted: Queue.take(interrupts)
  }
})

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* Effect.acquireRelease(
    client.agents.create({ name: "chat", model: "openai/gpt-4o-mini", embedding: "openai/text-embedding-3-small" }),
    (agent) => Effect.ignore(client.agents.delete(agent.id))
  )
  const input = yield* userInput

  // The run the current reply is on (the last one, when tool calls take several).
  let runId: string | undefined
  /** Streams one reply onto the screen. */
  const reply = (text: string) => {
    // How much of each part (by otid) is on the screen, and which part printed last.
    const shown = new Map<string, number>()
    let current: string | undefined
    const show = (key: string, text: string, style: (text: string) => string) => {
      const fresh = text.slice(shown.get(key) ?? 0)
      if (fresh === "") return Effect.void
      const lead = current !== undefined && current !== key ? "\n" : ""
      shown.set(key, text.length)
      current = key
      return write(lead + style(fresh))
    }
    const endLine = () => (current === undefined ? "" : "\n")
    return ClientTools.stream(agent.id, { input: text, stream_tokens: true }, {
      toolkit: ClientTools.toolkit(clock),
      // An interrupted reply also stops the agent's run, instead of leaving it running.
      cancelOnInterrupt: true
    }).pipe(
      Accumulator.accumulateWithPartials,
      Stream.runForEach(({ _tag, message }) => {
        if ("run_id" in message && message.run_id != null) runId = message.run_id
        const key = ("otid" in message ? message.otid : undefined) ?? message.message_type
        switch (message.message_type) {
          case "reasoning_message":
            return show(key, message.reasoning, dim)
          case "assistant_message":
            return show(
              key,
              typeof message.content === "string" ? message.content : message.content.map((p) => p.text).join(""),
              (text) => text
            )
          case "approval_request_message": {
            if (_tag === "Partial") return Effect.void
            const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [message.tool_call]
            const lead = endLine()
            current = undefined
            return write(`${lead}${dim(calls.map((call) => `[tool] ${call.name}(${call.arguments})`).join("\n"))}\n`)
          }
          case "stop_reason":
            return message.stop_reason === "requires_approval" ? Effect.void : write(endLine())
          default:
            return Effect.void
        }
      })
    )
  }

  while (true) {
    const line = yield* input.next
    if (Option.isNone(line)) break
    if (line.value.trim() === "") continue
    runId = undefined
    const interrupted = yield* reply(line.value).pipe(
      Effect.as(false),
      Effect.raceFirst(Effect.as(input.interrupted, true))
    )
    if (interrupted) {
      // The race has waited for the stream to stop, and so for the cancel it sent.
      const status = runId === undefined
        ? "not started"
        : yield* Effect.map(client.runs.retrieve(runId), (run) => run.status)
      yield* write(`\n${dim(`[interrupted; the run is ${status}]`)}\n`)
    }
  }
})

// A real server when LETTA_BASE_URL is set, the embedded one otherwise.
const Letta = Layer.unwrapEffect(
  Effect.map(
    Config.option(Config.string("LETTA_BASE_URL")),
    (baseUrl) => Option.isSome(baseUrl) ? LettaClient.layerConfig() : LettaTestServer.layerClient()
  )
)

// The chat handles Ctrl-C itself, so it is not run with `NodeRuntime.runMain`, which ends a
// program at the first SIGINT.
Effect.runFork(
  program.pipe(
    Effect.scoped,
    Effect.provide(Letta.pipe(Layer.provide(NodeHttpClient.layerUndici))),
    Effect.tapErrorCause(Effect.logError)
  )
).addObserver((exit) => {
  process.exitCode = Exit.isSuccess(exit) ? 0 : 1
})
