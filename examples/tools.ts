/**
 * Client-side tools: a calculator and a clock, defined once with Schema and run by this
 * process whenever the agent calls them. `ClientTools.stream` offers them to the agent (their
 * JSON Schemas are generated from the Schemas), runs the calls the agent makes — in
 * parallel — sends the results back and streams every round as one stream, until the agent
 * answers.
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline (its scripted agent calls every
 * offered tool whose name the message mentions):
 *
 *   npx tsx examples/tools.ts "Use the calculator to multiply 6 by 7 and read the clock in UTC"
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Clock, Config, Console, Effect, Layer, Option, Schema, Stream } from "effect"
import { ClientTools, LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const calculator = ClientTools.make("calculator", {
  description: "Does one arithmetic operation on two numbers.",
  parameters: Schema.Struct({
    operation: Schema.Literal("add", "subtract", "multiply", "divide"),
    a: Schema.Number,
    b: Schema.Number
  }),
  success: Schema.Number,
  handler: ({ a, b, operation }) =>
    operation === "divide" && b === 0
      // A failure goes back to the agent as an error it can read, not as a crash.
      ? Effect.fail(new Error("cannot divide by zero"))
      : Effect.succeed(
        operation === "add" ? a + b : operation === "subtract" ? a - b : operation === "multiply" ? a * b : a / b
      )
})

const clock = ClientTools.make("clock", {
  description: "Tells the current date and time in a time zone.",
  parameters: Schema.Struct({ timezone: Schema.Literal("UTC", "Europe/Paris", "America/New_York") }),
  // Handlers are Effects: this one reads Effect's Clock, so a test could move time.
  handler: ({ timezone }) =>
    Effect.map(Clock.currentTimeMillis, (now) =>
      new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: timezone })
        .format(now) + ` (${timezone})`)
})

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "tool-user",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small",
    // Let the model call both tools in one step; they then run in parallel here.
    parallel_tool_calls: true
  })
  const question = process.argv[2] ?? "Use the calculator to multiply 6 by 7 and read the clock in UTC"
  yield* Console.log(`> ${question}`)

  yield* ClientTools.stream(agent.id, { input: question }, { toolkit: ClientTools.toolkit(calculator, clock) }).pipe(
    Stream.runForEach((message) => {
      switch (message.message_type) {
        case "approval_request_message": {
          const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [message.tool_call]
          return Effect.forEach(calls, (call) => Console.log(`[tool] ${call.name}(${call.arguments})`), {
            discard: true
          })
        }
        case "assistant_message":
          return Console.log(
            typeof message.content === "string" ? message.content : message.content.map((part) => part.text).join("")
          )
        case "stop_reason":
          // Rounds that end in `requires_approval` are answered by the loop itself.
          return message.stop_reason === "requires_approval"
            ? Effect.void
            : Console.log(`[stop reason: ${message.stop_reason}]`)
        default:
          return Effect.void
      }
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
