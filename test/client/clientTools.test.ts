/**
 * Client tools as values: the JSON Schema the agent sees, and how one call is answered —
 * decoded arguments, encoded results, and every way a call can go wrong turned into an
 * `error` return instead of a failure of the loop.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Schema } from "effect"
import { ClientTools, type LettaError } from "effect-letta"

class Overdrawn extends Schema.TaggedError<Overdrawn>()("Overdrawn", { balance: Schema.Number }) {
  override get message() {
    return `balance would be ${this.balance}`
  }
}

const Operation = Schema.Literal("add", "subtract", "multiply", "divide")

const calculator = ClientTools.make("calculator", {
  description: "Does arithmetic",
  parameters: Schema.Struct({
    operation: Operation,
    a: Schema.Number.annotations({ description: "the left operand" }),
    b: Schema.Number,
    note: Schema.optional(Schema.String)
  }),
  success: Schema.Number,
  handler: ({ a, b, operation }) =>
    operation === "divide" && b === 0
      ? Effect.fail(new Overdrawn({ balance: -1 }))
      : Effect.succeed(
        operation === "add" ? a + b : operation === "subtract" ? a - b : operation === "multiply" ? a * b : a / b
      )
})

const when = ClientTools.make("when", {
  parameters: Schema.Struct({}),
  success: Schema.Struct({ at: Schema.Date }),
  handler: () => Effect.succeed({ at: new Date("2026-11-21T10:00:00.000Z") })
})

const call = (name: string, args: string, id = "call_1") => ({ name, arguments: args, tool_call_id: id })

describe("ClientTools.definitions", () => {
  it.effect("generates each tool's JSON Schema from its parameters Schema", () =>
    Effect.gen(function*() {
      const [calc, clock] = yield* ClientTools.definitions(ClientTools.toolkit(calculator, when))
      expect(calc).toEqual({
        name: "calculator",
        description: "Does arithmetic",
        parameters: {
          type: "object",
          required: ["operation", "a", "b"],
          properties: {
            operation: { type: "string", enum: ["add", "subtract", "multiply", "divide"] },
            a: { type: "number", description: "the left operand" },
            b: { type: "number" },
            note: { type: "string" }
          },
          additionalProperties: false
        }
      })
      expect(clock).toEqual({
        name: "when",
        description: null,
        parameters: { type: "object", properties: {}, additionalProperties: false }
      })
    }))

  it.effect("inlines named schemas, keeps recursive ones under $defs, and never puts a $ref at the top", () =>
    Effect.gen(function*() {
      const Point = Schema.Struct({ x: Schema.Number, y: Schema.Number }).annotations({ identifier: "Point" })
      const Segment = Schema.Struct({ from: Point, to: Point }).annotations({ identifier: "Segment" })
      interface Tree {
        readonly label: string
        readonly children: ReadonlyArray<Tree>
      }
      const Tree = Schema.Struct({
        label: Schema.String,
        children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
      }).annotations({ identifier: "Tree" })
      const [segment, tree] = yield* ClientTools.definitions(ClientTools.toolkit(
        ClientTools.make("length", { parameters: Segment, handler: () => Effect.succeed(0) }),
        ClientTools.make("size", { parameters: Schema.Struct({ tree: Tree }), handler: () => Effect.succeed(0) })
      ))
      const point = {
        type: "object",
        required: ["x", "y"],
        properties: { x: { type: "number" }, y: { type: "number" } },
        additionalProperties: false
      }
      expect(segment!.parameters).toEqual({
        type: "object",
        required: ["from", "to"],
        properties: { from: point, to: point },
        additionalProperties: false
      })
      const parameters = tree!.parameters as Record<string, any>
      expect(parameters["type"]).toBe("object")
      expect(parameters["$ref"]).toBeUndefined()
      expect(parameters["$defs"]["Tree"]["properties"]["children"]).toEqual({
        type: "array",
        items: { $ref: "#/$defs/Tree" }
      })
    }))

  it.effect("rejects invalid and repeated names, and parameters without a JSON Schema", () =>
    Effect.gen(function*() {
      const tool = (name: string, parameters: Schema.Schema<any, any> = Schema.Struct({})) =>
        ClientTools.make(name, { parameters, handler: () => Effect.void })
      const failure = (toolkit: ClientTools.Toolkit<never>) =>
        ClientTools.definitions(toolkit).pipe(Effect.flip, Effect.map((e: LettaError.InvalidRequestError) => e.description))
      expect(yield* failure(ClientTools.toolkit(tool("has space")))).toContain("must match")
      expect(yield* failure(ClientTools.toolkit(tool("x".repeat(65))))).toContain("must match")
      expect(yield* failure(ClientTools.toolkit(tool("twice"), tool("twice")))).toBe("two tools are named twice")
      const opaque = Schema.declare((u): u is symbol => typeof u === "symbol")
      expect(yield* failure(ClientTools.toolkit(tool("opaque", Schema.Struct({ s: opaque }))))).toContain(
        "the parameters of opaque have no JSON Schema for a tool"
      )
      expect(yield* failure(ClientTools.toolkit(tool("scalar", Schema.Number)))).toBe(
        "the parameters of scalar have no JSON Schema for a tool: they must be a struct (a JSON object)"
      )
    }))
})

describe("ClientTools.execute", () => {
  const kit = ClientTools.toolkit(calculator, when)

  it.effect("decodes the arguments, runs the handler and encodes the result", () =>
    Effect.gen(function*() {
      expect(yield* ClientTools.execute(kit, call("calculator", `{"operation":"multiply","a":6,"b":7}`))).toEqual({
        type: "tool",
        tool_call_id: "call_1",
        status: "success",
        tool_return: "42"
      })
      // The result Schema encodes: a Date is written as its ISO string.
      expect((yield* ClientTools.execute(kit, call("when", "", "call_2"))).tool_return).toBe(
        `{"at":"2026-11-21T10:00:00.000Z"}`
      )
    }))

  it.effect("returns a string result as it is, and extra argument fields are ignored", () =>
    Effect.gen(function*() {
      const echo = ClientTools.make("echo", {
        parameters: Schema.Struct({ text: Schema.String }),
        handler: ({ text }) => Effect.succeed(text)
      })
      const answer = yield* ClientTools.execute(ClientTools.toolkit(echo), call("echo", `{"text":"hi \\"there\\"","x":1}`))
      expect(answer).toMatchObject({ status: "success", tool_return: `hi "there"` })
    }))

  it.effect("answers arguments that are not JSON, or do not decode, with an error the model can act on", () =>
    Effect.gen(function*() {
      const broken = yield* ClientTools.execute(kit, call("calculator", `{"operation":"add","a":1,`))
      expect(broken.status).toBe("error")
      expect(broken.tool_return).toMatch(/^The arguments for calculator are not valid JSON/)
      const wrong = yield* ClientTools.execute(kit, call("calculator", `{"operation":"power","a":"2"}`))
      expect(wrong.status).toBe("error")
      expect(wrong.tool_return).toContain("Invalid arguments for calculator")
      // every problem is listed, with its path
      expect(wrong.tool_return).toContain(`["operation"]`)
      expect(wrong.tool_return).toContain(`["a"]`)
      expect(wrong.tool_return).toContain(`["b"]`)
    }))

  it.effect("answers a failing handler with its error's message", () =>
    Effect.gen(function*() {
      const answer = yield* ClientTools.execute(kit, call("calculator", `{"operation":"divide","a":1,"b":0}`))
      expect(answer).toEqual({
        type: "tool",
        tool_call_id: "call_1",
        status: "error",
        tool_return: "Overdrawn: balance would be -1"
      })
    }))

  it.effect("answers a crashing handler, a result that does not encode and an unknown tool with errors", () =>
    Effect.gen(function*() {
      const crash = ClientTools.make("crash", {
        parameters: Schema.Struct({}),
        handler: () => Effect.dieMessage("boom")
      })
      const liar = ClientTools.make("liar", {
        parameters: Schema.Struct({}),
        success: Schema.Number,
        handler: () => Effect.succeed("not a number" as unknown as number)
      })
      const cyclic = ClientTools.make("cyclic", {
        parameters: Schema.Struct({}),
        handler: () => {
          const value: Record<string, unknown> = {}
          value["self"] = value
          return Effect.succeed(value)
        }
      })
      const tools = ClientTools.toolkit(crash, liar, cyclic)
      expect(yield* ClientTools.execute(tools, call("crash", "{}"))).toMatchObject({
        status: "error",
        tool_return: "Unexpected error in crash: RuntimeException: boom"
      })
      const lied = yield* ClientTools.execute(tools, call("liar", "{}"))
      expect(lied.status).toBe("error")
      expect(lied.tool_return).toContain("The result of liar does not match its schema")
      expect(yield* ClientTools.execute(tools, call("cyclic", "{}"))).toMatchObject({
        status: "error",
        tool_return: "The result of cyclic could not be written as JSON"
      })
      expect(yield* ClientTools.execute(tools, call("nope", "{}"))).toMatchObject({
        status: "error",
        tool_return: "There is no client tool named nope"
      })
    }))

  it.effect("does not catch interruption: interrupting the caller interrupts the handler", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const stopped = yield* Deferred.make<void>()
      const slow = ClientTools.make("slow", {
        parameters: Schema.Struct({}),
        handler: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(stopped, undefined))
          )
      })
      const fiber = yield* Effect.fork(ClientTools.execute(ClientTools.toolkit(slow), call("slow", "{}")))
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* Deferred.isDone(stopped)).toBe(true)
    }))
})
