/**
 * The pieces of the client-side tool loop that do not depend on how a round was sent: the
 * tool calls an approval request names, a tool's JSON Schema, one call run from its raw
 * arguments to the `tool` item that answers it, and the usage of several rounds summed.
 */
import { Cause, Effect, Either, JSONSchema, ParseResult, Schema, SchemaAST as AST } from "effect"
import type { LettaUsageStatistics } from "../schema/messages.js"
import type { ToolCall, ToolCallDelta, ToolReturn } from "../schema/tools.js"
import { clip } from "./text.js"

interface ToolCallHolder {
  readonly tool_call: ToolCall | ToolCallDelta
  readonly tool_calls?: ReadonlyArray<ToolCall> | ToolCallDelta | null | undefined
}

/**
 * The complete calls of approval requests, in order and each once. Step mode (and a folded
 * token stream) lists every call in `tool_calls`; `tool_call` is only its first. A delta
 * that never got an id cannot be answered, so it is left out, and the caller sees fewer
 * calls than the server expects.
 */
export const callsOf = (messages: Iterable<ToolCallHolder>): Array<ToolCall> => {
  const out: Array<ToolCall> = []
  const seen = new Set<string>()
  for (const message of messages) {
    const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [message.tool_calls ?? message.tool_call]
    for (const call of calls as ReadonlyArray<ToolCall | ToolCallDelta>) {
      const id = call.tool_call_id
      if (typeof id !== "string" || id === "" || seen.has(id)) continue
      seen.add(id)
      out.push({ tool_call_id: id, name: call.name ?? "", arguments: call.arguments ?? "" })
    }
  }
  return out
}

/**
 * The JSON Schema of a tool's parameters, as `client_tools[].parameters`. Built like
 * `@effect/ai`'s tools: no `$schema` key and no `$ref` to named schemas (model providers want
 * the object itself); only recursive schemas keep definitions, under `$defs`. Fails for a
 * Schema that is not an object or has no JSON Schema (a declared type without a `jsonSchema`
 * annotation).
 */
export const parametersJsonSchema = (
  schema: Schema.Schema.Any
): Either.Either<Record<string, unknown>, string> => {
  const ast = AST.encodedAST(schema.ast)
  // `Schema.Struct({})` means "any object" to Effect, which JSON Schema writes as
  // `anyOf: [object, array]`; a tool without parameters wants the empty object.
  if (AST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return Either.right({ type: "object", properties: {}, additionalProperties: false })
  }
  try {
    const $defs: Record<string, JSONSchema.JsonSchema7> = {}
    const json: Record<string, unknown> = {
      ...JSONSchema.fromAST(schema.ast, { definitions: $defs, topLevelReferenceStrategy: "skip" })
    }
    // Model providers call a tool with one JSON object, so nothing else can be its parameters.
    if (json["type"] !== "object") return Either.left("they must be a struct (a JSON object)")
    return Either.right(Object.keys($defs).length === 0 ? json : { ...json, $defs })
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

/** Text for the agent about a failure: errors by their message, other values as JSON. */
export const describeFailure = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const message = (error as { readonly message?: unknown }).message
    const tag = (error as { readonly _tag?: unknown })._tag
    // Named like Python's tracebacks (`TypeError: …`), the form the server's own tool errors take.
    const name = typeof tag === "string" ? tag : error instanceof Error ? error.name : undefined
    if (typeof message === "string" && message !== "") {
      return name !== undefined && !message.startsWith(name) ? `${name}: ${message}` : message
    }
    if (typeof tag === "string") return tag
  }
  return jsonText(error) ?? String(error)
}

const jsonText = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

/** Where a tool return's text is cut: the server truncates long returns anyway. */
const maxReturnText = 1_000_000

const errorItem = (call: ToolCall, text: string): ToolReturn => ({
  type: "tool",
  tool_call_id: call.tool_call_id,
  status: "error",
  tool_return: clip(text, maxReturnText)
})

/** What a tool needs to answer one call. */
export interface Runnable<R> {
  readonly name: string
  readonly parameters: Schema.Schema<any, any>
  readonly success: Schema.Schema<any, any> | undefined
  readonly handle: (params: any, call: ToolCall) => Effect.Effect<unknown, unknown, R>
}

/**
 * Runs one call and answers it. Every way it can go wrong — arguments that are not JSON or
 * do not decode, a failing or crashing handler, a result that does not encode — is an
 * `error` return with a message the model can act on, so one bad call never ends the loop.
 * Interruption is not caught: interrupting the loop interrupts the handler.
 */
export const runCall = <R>(tool: Runnable<R>, call: ToolCall): Effect.Effect<ToolReturn, never, R> =>
  Effect.suspend(() => {
    let json: unknown
    try {
      json = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments)
    } catch (error) {
      return Effect.succeed(
        errorItem(call, `The arguments for ${tool.name} are not valid JSON (${describeFailure(error)}): ${clip(call.arguments, 500)}`)
      )
    }
    return Schema.decodeUnknown(tool.parameters, { errors: "all", onExcessProperty: "ignore" })(json).pipe(
      Effect.matchEffect({
        onFailure: (error) =>
          Effect.succeed(
            errorItem(call, `Invalid arguments for ${tool.name}:\n${ParseResult.TreeFormatter.formatErrorSync(error)}`)
          ),
        onSuccess: (params) => handled(tool, call, params)
      })
    )
  })

const handled = <R>(tool: Runnable<R>, call: ToolCall, params: unknown): Effect.Effect<ToolReturn, never, R> =>
  tool.handle(params, call).pipe(
    Effect.flatMap((value) =>
      tool.success === undefined ? Effect.succeed(value) : Schema.encode(tool.success)(value).pipe(
        Effect.mapError((error) => ({ encode: ParseResult.TreeFormatter.formatErrorSync(error) }))
      )
    ),
    Effect.map((value): ToolReturn => {
      const text = typeof value === "string" ? value : jsonText(value ?? null)
      return text === undefined
        ? errorItem(call, `The result of ${tool.name} could not be written as JSON`)
        : { type: "tool", tool_call_id: call.tool_call_id, status: "success", tool_return: clip(text, maxReturnText) }
    }),
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some") {
        const error = failure.value
        const encode = typeof error === "object" && error !== null && "encode" in error ? error.encode : undefined
        return Effect.succeed(
          errorItem(
            call,
            typeof encode === "string"
              ? `The result of ${tool.name} does not match its schema:\n${encode}`
              : describeFailure(error)
          )
        )
      }
      // A defect is a bug in the handler; the agent hears about it, the app's log gets the cause.
      return Effect.logWarning(`client tool ${tool.name} crashed`, cause).pipe(
        Effect.as(errorItem(call, `Unexpected error in ${tool.name}: ${describeFailure(Cause.squash(cause))}`))
      )
    })
  )

const sumNullable = (a: number | null | undefined, b: number | null | undefined): number | null | undefined =>
  a == null ? b : b == null ? a : a + b

/** The usage of several rounds as one: counts summed, run ids joined, the latest context size. */
export const sumUsage = (usages: ReadonlyArray<LettaUsageStatistics>): LettaUsageStatistics =>
  usages.reduce((total, usage) => ({
    message_type: "usage_statistics",
    completion_tokens: total.completion_tokens + usage.completion_tokens,
    prompt_tokens: total.prompt_tokens + usage.prompt_tokens,
    total_tokens: total.total_tokens + usage.total_tokens,
    step_count: total.step_count + usage.step_count,
    run_ids: usage.run_ids == null ? total.run_ids : [...(total.run_ids ?? []), ...usage.run_ids],
    cached_input_tokens: sumNullable(total.cached_input_tokens, usage.cached_input_tokens),
    cache_write_tokens: sumNullable(total.cache_write_tokens, usage.cache_write_tokens),
    reasoning_tokens: sumNullable(total.reasoning_tokens, usage.reasoning_tokens),
    context_tokens: usage.context_tokens ?? total.context_tokens
  }), {
    message_type: "usage_statistics",
    completion_tokens: 0,
    prompt_tokens: 0,
    total_tokens: 0,
    step_count: 0
  } as LettaUsageStatistics)
