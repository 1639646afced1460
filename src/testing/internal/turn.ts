/**
 * One agent turn: the scripted model's step, planned first and persisted like
 * `LettaAgentV3` does. Non-streaming sends do both at once; streams persist
 * where the real agent loop does (see `agentStream.ts`).
 *
 * A turn that answers an approval request has two steps, as on the real
 * server: the answer (approval response and tool message, persisted under the
 * request's step, no model call and no usage), then the model's step.
 */
import * as Approvals from "./approvals.js"
import * as Directives from "./directives.js"
import * as Ids from "./ids.js"
import * as Model from "./model.js"
import type {
  AgentRecord,
  ConversationRecord,
  MessageRecord,
  Part,
  RunRecord,
  Store,
  ToolCallRecord,
  ToolReturnRecord
} from "./store.js"
import * as ToolCalls from "./toolCalls.js"
import type { InputMessage, SendRequest } from "./validate.js"
import * as Wire from "./wire.js"

/** How the model's step ended the turn. */
export type StopReason = "end_turn" | "requires_approval" | "invalid_tool_call"

/** What happened in the turn, before any transport decides how to show it. */
export type TurnResult =
  | {
    readonly _tag: "Completed"
    readonly messages: ReadonlyArray<Wire.WireObject>
    readonly usage: Wire.Usage
    readonly stopReason: StopReason
  }
  | { readonly _tag: "LlmError"; readonly spec: Model.LlmErrorSpec }
  /** any other exception inside the agent loop; `letta` = it is a LettaError (its str() is user-visible) */
  | {
    readonly _tag: "Crash"
    readonly exception: string
    readonly detail: string
    readonly letta: boolean
    /** the approval request a `PendingApprovalError` names */
    readonly pendingRequestId?: string | undefined
  }

const partsOf = (content: string | ReadonlyArray<Part>): ReadonlyArray<Part> =>
  typeof content === "string" ? [{ type: "text", text: content, signature: null }] : content

const textOf = (content: string | ReadonlyArray<Part>): string =>
  typeof content === "string"
    ? content
    : content.filter((p) => p.type === "text").map((p) => String(p["text"])).join("\n")

/**
 * Where a turn reads its context from and appends its messages to: the agent's
 * default (agent-direct) thread, or one of its conversations.
 */
export interface Thread {
  readonly agent: AgentRecord
  readonly conversation: ConversationRecord | null
}

const contextIds = (thread: Thread): Array<string> => thread.conversation?.inContext ?? thread.agent.inContext

const contextOf = (store: Store, thread: Thread): Array<MessageRecord> =>
  contextIds(thread).map((id) => store.messages.get(id)).filter((m) => m !== undefined)

/** The texts the model reads in a message, for its token count. */
const textsOf = (m: MessageRecord): Array<string> => [
  ...m.content.flatMap((part) => {
    const text = part["text"] ?? part["reasoning"]
    return typeof text === "string" ? [text] : []
  }),
  ...(m.toolCalls ?? []).map((c) => c.arguments),
  ...(m.toolReturns ?? []).map((r) => Wire.toolReturnText(r.response))
]

/** What the model reads of a tool message's returns. */
const returnsSeen = (returns: ReadonlyArray<ToolReturnRecord>): Model.Seen => ({
  _tag: "Returns",
  returns: returns.map((r) => ({
    toolCallId: r.toolCallId,
    ok: r.status === "success",
    text: Wire.toolReturnText(r.response)
  }))
})

/** What the model makes of a stored message. */
const seenOf = (m: MessageRecord): Model.Seen =>
  m.role === "user"
    ? { _tag: "User", text: textOf(m.content) }
    : m.toolCalls !== null && m.toolCalls.length > 0
    ? { _tag: "Calls", calls: m.toolCalls }
    : m.toolReturns !== null
    ? returnsSeen(m.toolReturns)
    : { _tag: "Other" }

/** `parallel_tool_calls` of the llm_config in effect: a conversation's model brings its own. */
const parallelToolCalls = (thread: Thread): boolean => {
  const { agent, conversation } = thread
  if (conversation === null || conversation.model === null) return agent.llm.parallelToolCalls
  const setting = conversation.modelSettings?.["parallel_tool_calls"]
  return conversation.modelSettings === null ? false : typeof setting === "boolean" ? setting : true
}

/** One DB message for the whole LLM response: it lists as a reasoning and an assistant message. */
export const replyParts = (reply: Extract<Model.Outcome, { _tag: "Reply" }>): ReadonlyArray<Part> => [
  { type: "reasoning", is_native: true, reasoning: reply.reasoning, signature: null },
  { type: "text", text: reply.reply, signature: null }
]

const reasoningPart = (reasoning: string): Part => ({
  type: "reasoning",
  is_native: true,
  reasoning,
  signature: null
})

type UserInput = Extract<InputMessage, { type: "message" }>

/** The answered approval request of a turn, resolved before anything is persisted. */
export interface Answer extends Approvals.Outcome {
  readonly request: MessageRecord
}

type Failure = Exclude<TurnResult, { _tag: "Completed" }>

/**
 * What the scripted model will do for a request, decided before anything is
 * persisted. A step already owns the ids of its step record and of its
 * assistant message: token streams show that id in every delta before the
 * message is written.
 */
export type Plan =
  | {
    readonly _tag: "Step"
    /** the answer persisted first, under its request's step */
    readonly answer: Answer | undefined
    /** user messages persisted with the model's step */
    readonly inputs: ReadonlyArray<UserInput>
    readonly outcome: Extract<Model.Outcome, { _tag: "Reply" | "ToolCalls" }>
    /** the calls the agent keeps: all of them with parallel tool calls on, else only the first */
    readonly kept: ReadonlyArray<ToolCallRecord>
    readonly stepId: string
    readonly assistantId: string
    readonly directives: Directives.TurnDirectives
  }
  /** an answer that neither approves, denies nor returns a pending call: the loop stops at once */
  | { readonly _tag: "Stopped"; readonly stopReason: "invalid_tool_call"; readonly directives: Directives.TurnDirectives }
  | {
    readonly _tag: "Failure"
    readonly failure: Failure
    /** the model call failed inside a step, which leaves a failed step record */
    readonly inStep: boolean
    readonly directives: Directives.TurnDirectives
  }

const crash = (exception: string, detail: string, pendingRequestId?: string): Plan => ({
  _tag: "Failure",
  failure: { _tag: "Crash", exception, detail, letta: exception === "PendingApprovalError", pendingRequestId },
  inStep: false,
  directives: Directives.none
})

/** The tools a request lets the model call: its client tools, then the agent's approval tool (unless shadowed). */
const offeredTools = (request: SendRequest): ReadonlyArray<ToolCalls.OfferedTool> => {
  const client = (request.client_tools ?? []).map((t) => ({ name: t.name, parameters: t.parameters }))
  return client.some((t) => t.name === ToolCalls.approvalTool.name) ? client : [...client, ToolCalls.approvalTool]
}

/** Runs the scripted model on the request's input, without touching the store. */
export const plan = (store: Store, thread: Thread, request: SendRequest): Plan => {
  // `_prepare_in_context_messages_no_persist_async` indexes input_messages[0] before anything else.
  if (request.messages[0] === undefined) return crash("IndexError", "list index out of range")
  const context = contextOf(store, thread)
  const prepared = Approvals.prepare(context, request.messages, () => lastToolMessage(store, thread.agent.id))
  if (prepared._tag === "Rejected") return crash(prepared.exception, prepared.detail, prepared.pendingRequestId)

  let answer: Answer | undefined
  if (prepared._tag === "Answer") {
    const outcome = Approvals.resolve(prepared, thread.agent.llm.contextWindow)
    if (outcome.returns.length === 0) {
      return { _tag: "Stopped", stopReason: "invalid_tool_call", directives: Directives.none }
    }
    answer = { ...outcome, request: prepared.request }
  }
  const inputs = prepared._tag === "Answer" ? prepared.followUps : prepared.inputs

  const tools = offeredTools(request)
  const lastUser = [...inputs].reverse().find((m) => m.role === "user") ?? inputs[inputs.length - 1]
  const { directives, text } = lastUser === undefined
    ? { directives: Directives.none, text: "" }
    : Directives.parse(textOf(lastUser.content), (name) => tools.some((t) => t.name === name))

  const texts = context.flatMap(textsOf)
  const seen = [
    ...context.map(seenOf),
    ...(answer === undefined ? [] : [returnsSeen(answer.returns)]),
    ...inputs.map((m): Model.Seen => ({ _tag: "User", text: textOf(m.content) }))
  ]
  if (answer !== undefined) texts.push(...answer.returns.map((r) => Wire.toolReturnText(r.response)))
  const outcome = Model.continueAfterTools(seen, texts) ??
    Model.respond({ text, context: texts, tools, calls: directives.tools })
  if (outcome._tag === "LlmError" || outcome._tag === "Crash") {
    return {
      _tag: "Failure",
      failure: outcome._tag === "LlmError"
        ? outcome
        : { _tag: "Crash", exception: outcome.exception, detail: outcome.detail, letta: false },
      inStep: true,
      directives
    }
  }
  return {
    _tag: "Step",
    answer,
    inputs,
    outcome,
    // `_step` drops every call after the first when parallel tool calls are off.
    kept: outcome._tag !== "ToolCalls"
      ? []
      : parallelToolCalls(thread)
      ? outcome.calls
      : outcome.calls.slice(0, 1),
    stepId: Ids.make("step"),
    assistantId: Ids.make("message"),
    directives
  }
}

/** The agent's newest tool message in any thread (`list_messages(roles=[tool], limit=1)`). */
const lastToolMessage = (store: Store, agentId: string): MessageRecord | undefined => {
  const page = store.listMessages({ agentId }, { limit: null, ascending: false })
  return Array.isArray(page) ? page.find((m) => m.role === "tool") : undefined
}

/** The failed step a provider error or crash leaves behind. */
export const recordFailure = (store: Store, thread: Thread, run: RunRecord, failure: Failure): void => {
  store.addStep({
    runId: run.id,
    agentId: thread.agent.id,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    stopReason: null,
    status: "failed",
    errorType: failure._tag === "LlmError" ? failure.spec.exception : failure.exception,
    errorData: { message: failure._tag === "LlmError" ? failure.spec.detail : failure.detail }
  })
}

const appendToContext = (thread: Thread, ids: ReadonlyArray<string>, now: number) => {
  if (thread.conversation !== null) thread.conversation.inContext.push(...ids)
  else thread.agent.inContext.push(...ids)
  thread.agent.updatedAt = now
}

/**
 * The answer's step: the approval response and the tool message, stored under
 * the approval request's step (no new step record). Yields what the step shows:
 * the tool message as a `tool_return_message`.
 */
export const commitAnswer = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  answer: Answer,
  request: SendRequest,
  now: number
): ReadonlyArray<Wire.WireObject> => {
  const common = {
    agentId: thread.agent.id,
    stepId: answer.request.stepId,
    runId: run.id,
    conversationId: thread.conversation?.id ?? null,
    createdAt: now
  }
  // `create_approval_response_message_from_input` sets no otid: the answer's is not echoed.
  const response = store.addMessage({
    ...common,
    role: "approval",
    content: [],
    groupId: answer.groupId,
    approvalResponse: answer.response
  })
  const tool = store.addMessage({
    ...common,
    role: "tool",
    content: [],
    name: answer.toolName,
    toolReturns: answer.returns
  })
  appendToContext(thread, [response.id, tool.id], now)
  return Wire.lettaMessagesFrom([tool], { reverse: false, include: request.include_return_message_types })
}

const stopReasonOf = (step: Extract<Plan, { _tag: "Step" }>): StopReason =>
  step.outcome._tag === "ToolCalls" ? "requires_approval" : "end_turn"

/** `_checkpoint_messages` of the model's step: the step record, the inputs and the response. */
export const commitStep = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  step: Extract<Plan, { _tag: "Step" }>,
  request: SendRequest,
  now: number
): Extract<TurnResult, { _tag: "Completed" }> => {
  const { outcome } = step
  const totalTokens = outcome.promptTokens + outcome.completionTokens
  const stopReason = stopReasonOf(step)
  store.addStep({
    id: step.stepId,
    runId: run.id,
    agentId: thread.agent.id,
    promptTokens: outcome.promptTokens,
    completionTokens: outcome.completionTokens,
    totalTokens,
    stopReason,
    status: "success",
    errorType: null,
    errorData: null
  })
  const common = {
    agentId: thread.agent.id,
    stepId: step.stepId,
    runId: run.id,
    conversationId: thread.conversation?.id ?? null,
    createdAt: now
  }
  const persisted: Array<MessageRecord> = step.inputs.map((m) =>
    store.addMessage({
      ...common,
      role: m.role,
      content: partsOf(m.content),
      otid: m.otid,
      name: m.name,
      senderId: m.sender_id,
      groupId: m.group_id
    })
  )
  // An approval request takes the id just below the one its response was streamed under, and as its otid.
  const approvalId = Ids.decrement(step.assistantId)
  const response = outcome._tag === "Reply"
    ? store.addMessage({ ...common, id: step.assistantId, role: "assistant", content: replyParts(outcome) })
    : store.addMessage({
      ...common,
      id: approvalId,
      otid: approvalId,
      role: "approval",
      content: [reasoningPart(outcome.reasoning)],
      toolCalls: step.kept
    })
  appendToContext(thread, [...persisted.map((m) => m.id), response.id], now)
  return {
    _tag: "Completed",
    messages: Wire.lettaMessagesFrom([response], { reverse: false, include: request.include_return_message_types }),
    usage: {
      promptTokens: outcome.promptTokens,
      completionTokens: outcome.completionTokens,
      totalTokens,
      stepCount: 1,
      contextTokens: totalTokens
    },
    stopReason
  }
}

/** The usage of a turn whose loop stopped before calling the model. */
export const noUsage: Wire.Usage = {
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  stepCount: 0,
  contextTokens: null
}

/** Runs the scripted turn and persists it at once (non-streaming and async sends). */
export const execute = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  request: SendRequest,
  now: number
): TurnResult => {
  const decided = plan(store, thread, request)
  switch (decided._tag) {
    case "Failure":
      if (decided.inStep) recordFailure(store, thread, run, decided.failure)
      return decided.failure
    case "Stopped":
      return { _tag: "Completed", messages: [], usage: noUsage, stopReason: decided.stopReason }
    case "Step": {
      const answered = decided.answer === undefined
        ? []
        : commitAnswer(store, thread, run, decided.answer, request, now)
      const step = commitStep(store, thread, run, decided, request, now)
      return { ...step, messages: [...answered, ...step.messages] }
    }
  }
}

/** `str(exc)` as the run's `metadata.error` and `Step.error_data`. */
export const errorText = (result: Failure): string => result._tag === "LlmError" ? result.spec.detail : result.detail

/** `LettaResponse` of a non-streaming turn. */
export const lettaResponse = (result: Extract<TurnResult, { _tag: "Completed" }>): Wire.WireObject => ({
  messages: result.messages,
  stop_reason: Wire.stopReason(result.stopReason),
  usage: Wire.lettaUsage(result.usage),
  logprobs: null,
  turns: null
})
