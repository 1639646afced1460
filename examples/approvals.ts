/**
 * Human in the loop: the agent wants to run a tool that needs approval (here the
 * server-side `delete_records`), and an approver Effect decides each call before it runs.
 * This approver is a policy: tables on an allow-list are approved; any other is denied with
 * a reason the agent reads — or, when you run it on a terminal, it asks you (y/n) first.
 * `ClientTools.send` runs the loop: it stops when the agent asks, calls the approver, sends
 * the decision back and goes on until the agent answers.
 *
 * On the embedded server (the default, offline) every agent has `delete_records`, and the
 * message asks for it with a `/tool` directive. With LETTA_BASE_URL set, give the agent a
 * tool that requires approval and ask for it in words:
 *
 *   npx tsx examples/approvals.ts
 */
import { Terminal } from "@effect/platform"
import { NodeHttpClient, NodeRuntime, NodeTerminal } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Schema } from "effect"
import { ClientTools, LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

const allowList = new Set(["sessions", "cache"])

/** Asks a yes/no question on the terminal, one key press; Ctrl-C or anything but `y` is no. */
const ask = (question: string) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal.Terminal
    yield* terminal.display(`${question} [y/N] `)
    const input = yield* terminal.readInput
    const yes = yield* input.take.pipe(Effect.map((press) => press.key.name === "y"), Effect.orElseSucceed(() => false))
    yield* terminal.display(yes ? "y\n" : "n\n")
    return yes
  }).pipe(Effect.scoped, Effect.orElseSucceed(() => false))

const DeleteArguments = Schema.parseJson(Schema.Struct({ table: Schema.String }))

/** The approver: a policy, and a person when there is one at a terminal. */
const decide = ({ toolCall }: ClientTools.ApprovalRequest) =>
  Effect.gen(function*() {
    const table = yield* Schema.decodeUnknown(DeleteArguments)(toolCall.arguments).pipe(
      Effect.map((args) => args.table),
      Effect.orElseSucceed(() => undefined)
    )
    const decision = table !== undefined && allowList.has(table)
      ? ClientTools.approve
      : process.stdin.isTTY && (yield* ask(`Allow ${toolCall.name} on ${table ?? "an unknown table"}?`))
      ? ClientTools.approve
      : ClientTools.deny(`${table ?? "that table"} is not on the allow-list`)
    yield* Console.log(
      `[approval] ${toolCall.name}(${toolCall.arguments}): ${decision.approve ? "approved" : `denied (${decision.reason})`}`
    )
    return decision
  })

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "janitor",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })
  const embedded = Option.isSome(yield* Effect.serviceOption(LettaTestServer.LettaTestServer))

  for (const table of ["sessions", "users"]) {
    const request = `Clean up the ${table} table`
    yield* Console.log(`> ${request}`)
    const result = yield* ClientTools.send(agent.id, {
      input: embedded ? `${request} /tool delete_records {"table":"${table}"}` : request
    }, {
      // No client tools: the loop is only here to answer approvals.
      toolkit: ClientTools.toolkit(),
      approve: decide
    })
    for (const message of result.messages) {
      if (message.message_type === "assistant_message") {
        const text = typeof message.content === "string" ? message.content : message.content.map((p) => p.text).join("")
        yield* Console.log(`agent: ${text}`)
      }
    }
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
  Effect.provide(Layer.merge(Letta.pipe(Layer.provide(NodeHttpClient.layerUndici)), NodeTerminal.layer)),
  Effect.tapErrorCause(Effect.logError),
  NodeRuntime.runMain
)
