/**
 * Client-side tools defined with Schema, and the loop that runs them.
 *
 * A tool is a value: a name, a description, a `Schema` for its parameters (the JSON Schema
 * the agent sees is generated from it), optionally a `Schema` for its result, and an Effect
 * handler that may need services from the app. A toolkit groups tools.
 *
 * `send` and `stream` send a message with the toolkit offered as `client_tools`. Whenever the
 * agent stops with `requires_approval`, they run the tools it asked for (in parallel, each
 * result matched to its `tool_call_id`), ask `approve` about calls to server-side tools that
 * need a human's approval, send all the answers back in one `ApprovalCreate`, and go on
 * until the agent stops for any other reason. Arguments that do not decode and handlers that
 * fail go back to the agent as `error` returns, so the model can correct itself; they never
 * end the loop. Interrupting the loop interrupts the running handlers and the stream.
 *
 * Each round's answer is computed once and sent with its own `otid`: a send that is retried
 * (only where `Retry` allows) repeats the same results and never runs a handler again.
 *
 * An agent whose calls were never answered (the loop failed or was interrupted) keeps
 * waiting: `pending` reads the calls from its history, `resume` and `resumeStream` answer
 * them and go on.
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Either, Option, type Schema, Stream } from "effect"
import * as Accumulator from "./Accumulator.js"
import { callsOf, parametersJsonSchema, type Runnable, runCall, sumUsage } from "./internal/toolCalls.js"
import { messageIdOf } from "./internal/paging.js"
import { unwrap } from "./internal/unwrap.js"
import * as LettaClient from "./LettaClient.js"
import * as LettaError from "./LettaError.js"
import type * as Messages from "./Messages.js"
import type {
  ApprovalRequestMessage,
  LettaMessage,
  LettaStopReason,
  LettaStreamingMessage,
  LettaUsageStatistics
} from "./schema/messages.js"
import type { ClientToolSchema, LettaRequestEncoded } from "./schema/requests.js"
import type { ApprovalItem, ApprovalReturn, ToolCall, ToolReturn } from "./schema/tools.js"
import type * as Streaming from "./Streaming.js"

/**
 * A tool the client runs for the agent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tool<Name extends string, Params, Success, E, R> {
  readonly name: Name
  readonly description: string | undefined
  /** Decodes the arguments the model sends; its JSON Schema is what the model sees. */
  readonly parameters: Schema.Schema<Params, any>
  /** Encodes the handler's result before it is written as the tool return, when given. */
  readonly success: Schema.Schema<Success, any> | undefined
  readonly handler: (params: Params, call: ToolCall) => Effect.Effect<Success, E, R>
}

/**
 * Types about tools.
 *
 * @since 0.1.0
 * @category models
 */
export declare namespace Tool {
  /**
   * Any tool.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Any {
    readonly name: string
    readonly description: string | undefined
    readonly parameters: Schema.Schema.All
    // `All`, not `Any`: a Schema is invariant in its type, and a tool may return `never`.
    readonly success: Schema.Schema.All | undefined
    readonly handler: (params: any, call: ToolCall) => Effect.Effect<any, any, any>
  }
  /**
   * The services a tool's handler needs.
   *
   * @since 0.1.0
   * @category models
   */
  export type Context<T> = T extends { readonly handler: (...args: any) => Effect.Effect<any, any, infer R> } ? R
    : never
}

/**
 * Defines a tool. The handler gets the decoded parameters and the call itself (its
 * `tool_call_id`, name and raw arguments). A string result is returned as it is; any other
 * result is encoded with `success` (when given) and written as JSON. A failure of the
 * handler is returned to the agent as an `error` with the failure's message.
 *
 * `parameters` should be a struct: models call tools with a JSON object.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { ClientTools } from "effect-letta"
 *
 * const add = ClientTools.make("add", {
 *   description: "Adds two numbers",
 *   parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
 *   success: Schema.Number,
 *   handler: ({ a, b }) => Effect.succeed(a + b)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Name extends string, Params, Success, E = never, R = never>(
  name: Name,
  options: {
    readonly description?: string | undefined
    readonly parameters: Schema.Schema<Params, any>
    readonly success?: Schema.Schema<Success, any> | undefined
    readonly handler: (params: Params, call: ToolCall) => Effect.Effect<Success, E, R>
  }
): Tool<Name, Params, Success, E, R> => ({
  name,
  description: options.description,
  parameters: options.parameters,
  success: options.success,
  handler: options.handler
})

/**
 * Tools offered together. `R` is what their handlers need.
 *
 * @since 0.1.0
 * @category models
 */
export interface Toolkit<out R> {
  readonly tools: ReadonlyArray<Tool.Any>
  /** Phantom: what the handlers need. */
  readonly _R?: (_: never) => R
}

/**
 * Groups tools. Names must be unique and match `^[A-Za-z0-9_-]{1,64}$` (what model providers
 * accept); the loop checks this before sending anything.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toolkit = <const Tools extends ReadonlyArray<Tool.Any>>(
  ...tools: Tools
): Toolkit<Tool.Context<Tools[number]>> => ({ tools })

const toolName = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The toolkit as `client_tools`: each tool's name, description and the JSON Schema of its
 * parameters, generated from the Schema. Fails with `InvalidRequestError` for a name that is
 * invalid or taken twice, or a parameters Schema that has no JSON Schema.
 *
 * @since 0.1.0
 * @category tools
 */
export const definitions = <R>(
  toolkit: Toolkit<R>
): Effect.Effect<ReadonlyArray<ClientToolSchema>, LettaError.InvalidRequestError> =>
  Effect.suspend(() => {
    const invalid = (description: string) =>
      Effect.fail(new LettaError.InvalidRequestError({ operation: "ClientTools.definitions", description }))
    const seen = new Set<string>()
    const out: Array<ClientToolSchema> = []
    for (const tool of toolkit.tools) {
      if (!toolName.test(tool.name)) {
        return invalid(`tool name ${JSON.stringify(tool.name)} must match ${toolName.source}`)
      }
      if (seen.has(tool.name)) return invalid(`two tools are named ${tool.name}`)
      seen.add(tool.name)
      const parameters = parametersJsonSchema(tool.parameters as Schema.Schema<any, any>)
      if (Either.isLeft(parameters)) {
        return invalid(`the parameters of ${tool.name} have no JSON Schema for a tool: ${parameters.left}`)
      }
      out.push({ name: tool.name, description: tool.description ?? null, parameters: parameters.right })
    }
    return Effect.succeed(out)
  })

/**
 * An answer to one tool call: the `approvals[]` item of an `ApprovalCreate` — a tool's
 * result (`ToolReturn`) or a decision (`ApprovalReturn`).
 *
 * @since 0.1.0
 * @category models
 */
export type Answer = ApprovalItem

const runnable = <R>(tool: Tool.Any): Runnable<R> => ({
  name: tool.name,
  parameters: tool.parameters as Schema.Schema<any, any>,
  success: tool.success as Schema.Schema<any, any> | undefined,
  handle: tool.handler as Runnable<R>["handle"]
})

/**
 * Runs one call with the toolkit's tool of that name and returns its `tool` answer (an
 * `error` one for a name the toolkit lacks), for apps that drive the loop themselves.
 *
 * @since 0.1.0
 * @category tools
 */
export const execute = <R>(toolkit: Toolkit<R>, call: ToolCall): Effect.Effect<ToolReturn, never, R> => {
  const tool = toolkit.tools.find((t) => t.name === call.name)
  return tool === undefined
    ? Effect.succeed({
      type: "tool",
      tool_call_id: call.tool_call_id,
      status: "error",
      tool_return: `There is no client tool named ${call.name}`
    })
    : runCall(runnable<R>(tool), call).pipe(
      Effect.withSpan("ClientTools.execute", {
        attributes: { "letta.tool.name": call.name, "letta.tool_call_id": call.tool_call_id }
      })
    )
}

/**
 * A server-side tool call waiting for a decision.
 *
 * @since 0.1.0
 * @category approvals
 */
export interface ApprovalRequest {
  readonly toolCall: ToolCall
  /** The run that stopped for it. */
  readonly runId: string | undefined
}

/**
 * Approve the call, or deny it with a reason the agent reads.
 *
 * @since 0.1.0
 * @category approvals
 */
export type Decision =
  | { readonly approve: true }
  | { readonly approve: false; readonly reason?: string | undefined }

/**
 * The decision that approves a call.
 *
 * @since 0.1.0
 * @category approvals
 */
export const approve: Decision = { approve: true }

/**
 * The decision that denies a call; the agent reads `reason`.
 *
 * @since 0.1.0
 * @category approvals
 */
export const deny = (reason?: string | undefined): Decision => ({ approve: false, reason })

/**
 * Options of the tool loop.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoopOptions<R, EA = never, RA = never> {
  readonly toolkit: Toolkit<R>
  /**
   * Decides on server-side tool calls that need approval, one at a time. Without it such a
   * request fails the loop with `ApprovalRequiredError` (the agent keeps waiting).
   */
  readonly approve?: ((request: ApprovalRequest) => Effect.Effect<Decision, EA, RA>) | undefined
  /** How many rounds of tool calls to answer (default 10); one more fails with `ToolRoundLimitError`. */
  readonly maxRounds?: number | undefined
  /** How many tool handlers run at once when the model asks for several (default 4). */
  readonly concurrency?: number | undefined
}

/**
 * Options of the streaming tool loop: the loop's and those of every round's stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamLoopOptions<R, EA = never, RA = never> extends LoopOptions<R, EA, RA>, Streaming.StreamOptions {}

/**
 * Where the loop sends: an agent id (`/v1/agents/{id}/messages`), or a conversation
 * (`/v1/conversations/{id}/messages`; the id `default` needs `agentId`).
 *
 * @since 0.1.0
 * @category models
 */
export type Target = string | { readonly conversationId: string; readonly agentId?: string | undefined }

/**
 * The first message of a non-streaming loop. `client_tools` comes from the toolkit.
 *
 * @since 0.1.0
 * @category models
 */
export interface SendRequest extends Omit<LettaRequestEncoded, "client_tools"> {}

/**
 * The first message of a streaming loop. `client_tools` comes from the toolkit; the
 * streaming flags apply to every round.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRequest extends Omit<Messages.StreamRequest, "client_tools"> {}

/**
 * What a non-streaming loop returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoopResult {
  /** Every round's messages, in order. */
  readonly messages: ReadonlyArray<LettaMessage>
  /** Why the agent stopped in the end. */
  readonly stop_reason: LettaStopReason
  /** The usage of all rounds together. */
  readonly usage: LettaUsageStatistics
  /** How many rounds of tool calls were answered. */
  readonly rounds: number
}

interface Loop<R, EA, RA> {
  readonly operation: string
  readonly toolkit: Toolkit<R>
  readonly approve: ((request: ApprovalRequest) => Effect.Effect<Decision, EA, RA>) | undefined
  readonly maxRounds: number
  readonly concurrency: number
  readonly clientTools: ReadonlyArray<ClientToolSchema>
}

const prepare = <R, EA, RA>(
  operation: string,
  options: LoopOptions<R, EA, RA>
): Effect.Effect<Loop<R, EA, RA>, LettaError.InvalidRequestError> =>
  Effect.gen(function*() {
    const invalid = (description: string) => new LettaError.InvalidRequestError({ operation, description })
    const maxRounds = options.maxRounds ?? 10
    const concurrency = options.concurrency ?? 4
    if (!Number.isInteger(maxRounds) || maxRounds < 0) return yield* invalid("maxRounds must be a whole number ≥ 0")
    if (!Number.isInteger(concurrency) || concurrency < 1) return yield* invalid("concurrency must be a whole number ≥ 1")
    const clientTools = yield* definitions(options.toolkit).pipe(
      Effect.mapError((error) => invalid(error.description))
    )
    return { operation, toolkit: options.toolkit, approve: options.approve, maxRounds, concurrency, clientTools }
  })

/** The answers to one round's calls, in the order the agent made them. */
const answerRound = <R, EA, RA>(
  loop: Loop<R, EA, RA>,
  calls: ReadonlyArray<ToolCall>,
  runId: string | undefined,
  answered: number
): Effect.Effect<ReadonlyArray<Answer>, LettaError.LettaError | EA, R | RA> =>
  Effect.gen(function*() {
    if (answered >= loop.maxRounds) {
      return yield* new LettaError.ToolRoundLimitError({ maxRounds: loop.maxRounds, runId, toolCalls: calls })
    }
    const names = new Set(loop.toolkit.tools.map((tool) => tool.name))
    // A call to a tool we did not offer can only be a server-side tool that needs approval.
    const forApproval = calls.filter((call) => !names.has(call.name))
    const approver = loop.approve
    if (forApproval.length > 0 && approver === undefined) {
      return yield* new LettaError.ApprovalRequiredError({ runId, toolCalls: forApproval })
    }
    const decide = (call: ToolCall) =>
      approver!({ toolCall: call, runId }).pipe(
        Effect.map((decision): ApprovalReturn =>
          decision.approve
            ? { type: "approval", tool_call_id: call.tool_call_id, approve: true }
            : { type: "approval", tool_call_id: call.tool_call_id, approve: false, reason: decision.reason }
        ),
        Effect.withSpan("ClientTools.approve", {
          attributes: { "letta.tool.name": call.name, "letta.tool_call_id": call.tool_call_id }
        })
      )
    const [returns, decisions] = yield* Effect.all([
      Effect.forEach(calls.filter((call) => names.has(call.name)), (call) => execute(loop.toolkit, call), {
        concurrency: loop.concurrency
      }),
      // One decision at a time: an approver is often a person.
      Effect.forEach(forApproval, decide)
    ], { concurrency: 2 })
    const byId = new Map<string, Answer>([...returns, ...decisions].map((answer) => [answer.tool_call_id, answer]))
    return calls.map((call) => byId.get(call.tool_call_id)!)
  })

/** A filter on the returned message types must let approval requests through, or the loop cannot see the calls. */
const withApprovalRequests = <B extends { readonly include_return_message_types?: ReadonlyArray<string> | null | undefined }>(
  body: B
): B =>
  body.include_return_message_types == null || body.include_return_message_types.includes("approval_request_message")
    ? body
    : { ...body, include_return_message_types: [...body.include_return_message_types, "approval_request_message"] }

/** The next round's body: the same settings, the answers instead of the input. */
const answerBody = <B extends { readonly input?: unknown; readonly messages?: unknown }>(
  body: B,
  answers: ReadonlyArray<Answer>
): B => {
  const { input: _input, ...rest } = body
  return { ...rest, messages: [{ type: "approval", approvals: answers }] } as unknown as B
}

/** The answers to the calls of a round's approval requests (a round that named none is a protocol error). */
const answerRequests = <R, EA, RA>(
  loop: Loop<R, EA, RA>,
  target: Target,
  requests: ReadonlyArray<ApprovalRequestMessage>,
  fallbackRunId: string | undefined,
  answered: number
): Effect.Effect<ReadonlyArray<Answer>, LettaError.LettaError | EA, R | RA> => {
  const runId = requests[0]?.run_id ?? fallbackRunId
  const calls = callsOf(requests)
  return calls.length > 0 ? answerRound(loop, calls, runId, answered) : Effect.fail(
    new LettaError.DecodeError({
      method: "POST",
      url: typeof target === "string"
        ? `/v1/agents/${target}/messages`
        : `/v1/conversations/${target.conversationId}/messages`,
      description: "the agent stopped with requires_approval but named no tool call with an id",
      excerpt: runId === undefined ? "" : `run ${runId}`
    })
  )
}

/**
 * The loop's first send: the caller's message, or (when resuming) the answers to calls the
 * agent was already waiting for.
 */
type Start<B> =
  | { readonly _tag: "Request"; readonly body: B }
  | { readonly _tag: "Pending"; readonly pending: Pending; readonly settings: B }

/** The first body of a loop, with the toolkit offered and approval requests never filtered out. */
const firstBody = <R, EA, RA, B extends Omit<LettaRequestEncoded, "client_tools">>(
  loop: Loop<R, EA, RA>,
  start: Start<B>
): Effect.Effect<B, LettaError.LettaError | EA, R | RA> => {
  const offered = (body: B): B => withApprovalRequests({ ...body, client_tools: loop.clientTools })
  return start._tag === "Request"
    ? Effect.succeed(offered(start.body))
    : Effect.map(
      answerRound(loop, start.pending.toolCalls, start.pending.runId, 0),
      (answers) => answerBody(offered(start.settings), answers)
    )
}

/** What a loop's span says about where it sends and what it offers. */
const loopAttributes = <R>(target: Target, toolkit: Toolkit<R>): Record<string, unknown> => ({
  ...(typeof target === "string"
    ? { "letta.agent_id": target }
    : {
      "letta.conversation_id": target.conversationId,
      ...(target.agentId === undefined ? {} : { "letta.agent_id": target.agentId })
    }),
  "letta.tools": toolkit.tools.map((tool) => tool.name)
})

const sendLoopAs = (operation: "ClientTools.send" | "ClientTools.resume") =>
  Effect.fn(operation)(function*(
    target: Target,
    start: Start<SendRequest>,
    options: LoopOptions<any, any, any>
  ) {
    const client = yield* LettaClient.LettaClient
    yield* Effect.annotateCurrentSpan(loopAttributes(target, options.toolkit))
    const loop = yield* prepare(operation, options)
    const send = (body: LettaRequestEncoded) =>
      typeof target === "string"
        ? client.agents.messages.create(target, body)
        : client.conversations.messages.create(target.conversationId, { ...body, agent_id: target.agentId })
    let body: LettaRequestEncoded = yield* firstBody(loop, start)
    const messages: Array<LettaMessage> = []
    const usages: Array<LettaUsageStatistics> = []
    for (let answered = start._tag === "Pending" ? 1 : 0;; answered++) {
      const response = yield* send(body)
      messages.push(...response.messages)
      usages.push(response.usage)
      if (response.stop_reason.stop_reason !== "requires_approval") {
        yield* Effect.annotateCurrentSpan("letta.tool_rounds", answered)
        return { messages, stop_reason: response.stop_reason, usage: sumUsage(usages), rounds: answered } as LoopResult
      }
      const requests = response.messages.filter((m): m is ApprovalRequestMessage => m.message_type === "approval_request_message")
      body = answerBody(body, yield* answerRequests(loop, target, requests, response.usage.run_ids?.[0], answered))
      yield* Effect.annotateCurrentSpan("letta.tool_rounds", answered + 1)
    }
  })

const sendLoop = sendLoopAs("ClientTools.send")
const resumeLoop = sendLoopAs("ClientTools.resume")

/**
 * Sends `request` with the toolkit and answers the agent's tool calls and approval requests
 * until it stops for another reason than `requires_approval`; returns every round's
 * messages and the summed usage. Each round is one `agents.messages.create` (or
 * `conversations.messages.create`) call, with its errors and retry rules.
 *
 * When `include_return_message_types` is set, `approval_request_message` is added to it:
 * the loop reads the calls from those messages.
 *
 * @since 0.1.0
 * @category tool loop
 */
export const send = <R, EA = never, RA = never>(
  target: Target,
  request: SendRequest,
  options: LoopOptions<R, EA, RA>
): Effect.Effect<LoopResult, LettaError.LettaError | EA, LettaClient.LettaClient | R | RA> =>
  sendLoop(target, { _tag: "Request", body: request }, options)

/** What one round's stream showed the loop. */
interface RoundState {
  readonly requests: Array<LettaStreamingMessage>
  stopReason: string | undefined
}

/**
 * As `send`, streaming: one continuous stream of every round's messages, as each round's
 * `agents.messages.stream` (or `conversations.messages.stream`) yields them — including the
 * `approval_request_message` and the `stop_reason` (`requires_approval`) that end a round
 * whose calls the loop then answers. `stream_tokens`, `background` and `options` apply to
 * every round, so token deltas are merged (by `tool_call_id`) before the calls are read,
 * and background rounds resume after a dropped connection.
 *
 * @since 0.1.0
 * @category tool loop
 */
export const stream = <R, EA = never, RA = never>(
  target: Target,
  request: StreamRequest,
  options: StreamLoopOptions<R, EA, RA>
): Stream.Stream<LettaStreamingMessage, LettaError.LettaError | EA, LettaClient.LettaClient | R | RA> =>
  streamLoop("ClientTools.stream", target, { _tag: "Request", body: request }, options)

const streamLoop = <R, EA, RA>(
  operation: "ClientTools.stream" | "ClientTools.resumeStream",
  target: Target,
  start: Start<StreamRequest>,
  options: StreamLoopOptions<R, EA, RA>
): Stream.Stream<LettaStreamingMessage, LettaError.LettaError | EA, LettaClient.LettaClient | R | RA> =>
  unwrap(Effect.gen(function*() {
    const client = yield* LettaClient.LettaClient
    const loop = yield* prepare(operation, options)
    const open = (body: Messages.StreamRequest) =>
      typeof target === "string"
        ? client.agents.messages.stream(target, body, options)
        : client.conversations.messages.stream(target.conversationId, { ...body, agent_id: target.agentId }, options)
    const round = (body: Messages.StreamRequest, answered: number): Stream.Stream<
      LettaStreamingMessage,
      LettaError.LettaError | EA,
      R | RA
    > =>
      Stream.suspend(() => {
        const state: RoundState = { requests: [], stopReason: undefined }
        // Runs under the loop's span (`Stream.withSpan` below), once per round.
        const next = Effect.suspend(() => {
          if (state.stopReason !== "requires_approval") {
            return Effect.as(Effect.annotateCurrentSpan("letta.tool_rounds", answered), Stream.empty)
          }
          const requests = Accumulator.fold(state.requests) as Array<ApprovalRequestMessage>
          return answerRequests(loop, target, requests, undefined, answered).pipe(
            Effect.tap(() => Effect.annotateCurrentSpan("letta.tool_rounds", answered + 1)),
            Effect.map((answers) => round(answerBody(body, answers), answered + 1))
          )
        })
        return open(body).pipe(
          Stream.mapChunks((chunk) => {
            for (const message of chunk) {
              if (message.message_type === "approval_request_message") state.requests.push(message)
              else if (message.message_type === "stop_reason") state.stopReason = message.stop_reason
            }
            return chunk
          }),
          Stream.concat(unwrap(next))
        )
      })
    return round(yield* firstBody(loop, start), start._tag === "Pending" ? 1 : 0)
  })).pipe(Stream.withSpan(operation, { attributes: loopAttributes(target, options.toolkit) }))

/**
 * Tool calls an agent is waiting for: what `ApprovalRequiredError` and `ToolRoundLimitError`
 * carry, and what `pending` reads from the history.
 *
 * @since 0.1.0
 * @category resuming
 */
export interface Pending {
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly runId?: string | undefined
}

/**
 * The tool calls the agent (or conversation) is waiting for, read from the newest message
 * of its history, if that is an approval request. After a loop failed with
 * `ApprovalRequiredError` or `ToolRoundLimitError`, or was interrupted while its tools ran,
 * the agent keeps waiting and refuses other messages (`ConflictError`, reason
 * `pending_approval`): answer it with `resume`.
 *
 * @since 0.1.0
 * @category resuming
 */
export const pending = Effect.fn("ClientTools.pending")(function*(target: Target) {
  const client = yield* LettaClient.LettaClient
  const params = { order: "desc", limit: 10 } as const
  const newest = typeof target === "string"
    ? client.agents.messages.list(target, params)
    : target.conversationId === "default" && target.agentId !== undefined
    ? client.agents.messages.list(target.agentId, params)
    : client.conversations.messages.list(target.conversationId, params)
  // One stored message lists as several (its reasoning, then the request), all with its id.
  const page = Chunk.toReadonlyArray(yield* newest.pipe(Stream.take(params.limit), Stream.runCollect))
  const id = page[0] === undefined ? undefined : messageIdOf(page[0])
  const parts = page.filter((m) => id !== undefined && messageIdOf(m) === id)
  const requests = parts.filter((m): m is ApprovalRequestMessage =>
    m.message_type === "approval_request_message"
  )
  const toolCalls = callsOf(requests)
  return toolCalls.length === 0
    ? Option.none<Pending>()
    : Option.some<Pending>({ toolCalls, runId: requests[0]?.run_id ?? undefined })
})

/**
 * Answers calls the agent is already waiting for (`pending`, or the calls of an
 * `ApprovalRequiredError` / `ToolRoundLimitError`) with the toolkit and the approver, then
 * goes on as `send`. `settings` are the request fields every round carries
 * (`max_steps`, `include_return_message_types`, …). The answered calls count as the first
 * round.
 *
 * @since 0.1.0
 * @category resuming
 */
export const resume = <R, EA = never, RA = never>(
  target: Target,
  waiting: Pending,
  options: LoopOptions<R, EA, RA> & { readonly settings?: Omit<SendRequest, "input" | "messages"> | undefined }
): Effect.Effect<LoopResult, LettaError.LettaError | EA, LettaClient.LettaClient | R | RA> =>
  resumeLoop(target, { _tag: "Pending", pending: waiting, settings: options.settings ?? {} }, options)

/**
 * As `resume`, streaming every round as `stream` does.
 *
 * @since 0.1.0
 * @category resuming
 */
export const resumeStream = <R, EA = never, RA = never>(
  target: Target,
  waiting: Pending,
  options: StreamLoopOptions<R, EA, RA> & {
    readonly settings?: Omit<StreamRequest, "input" | "messages"> | undefined
  }
): Stream.Stream<LettaStreamingMessage, LettaError.LettaError | EA, LettaClient.LettaClient | R | RA> =>
  streamLoop(
    "ClientTools.resumeStream",
    target,
    { _tag: "Pending", pending: waiting, settings: options.settings ?? {} },
    options
  )
