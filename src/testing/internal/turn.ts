/**
 * One agent turn: the scripted model's step, planned first and persisted like
 * `LettaAgentV3` does. Non-streaming sends do both at once; streams persist
 * where the real agent loop does (see `agentStream.ts`).
 */
import * as Directives from "./directives.js"
import * as Ids from "./ids.js"
import * as Model from "./model.js"
import type { AgentRecord, ConversationRecord, MessageRecord, Part, RunRecord, Store } from "./store.js"
import type { InputMessage, SendRequest } from "./validate.js"
import * as Wire from "./wire.js"

/** What happened in the turn, before any transport decides how to show it. */
export type TurnResult =
  | { readonly _tag: "Completed"; readonly messages: ReadonlyArray<Wire.WireObject>; readonly usage: Wire.Usage }
  | { readonly _tag: "LlmError"; readonly spec: Model.LlmErrorSpec }
  /** any other exception inside the agent loop; `letta` = it is a LettaError (its str() is user-visible) */
  | { readonly _tag: "Crash"; readonly exception: string; readonly detail: string; readonly letta: boolean }

const noPendingApproval = "Cannot process approval response: No tool call is currently awaiting approval. " +
  "Please send a regular message to interact with the agent."

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

const contextIds = (thread: Thread): ReadonlyArray<string> => thread.conversation?.inContext ?? thread.agent.inContext

const contextTexts = (store: Store, thread: Thread): Array<string> => {
  const out: Array<string> = []
  for (const id of contextIds(thread)) {
    const m = store.messages.get(id)
    if (m === undefined) continue
    for (const part of m.content) {
      const text = part["text"] ?? part["reasoning"]
      if (typeof text === "string") out.push(text)
    }
  }
  return out
}

/** One DB message for the whole LLM response: it lists as a reasoning and an assistant message. */
export const replyParts = (reply: Extract<Model.Outcome, { _tag: "Reply" }>): ReadonlyArray<Part> => [
  { type: "reasoning", is_native: true, reasoning: reply.reasoning, signature: null },
  { type: "text", text: reply.reply, signature: null }
]

type UserInput = Extract<InputMessage, { type: "message" }>

/**
 * What the scripted model will do for a request, decided before anything is
 * persisted. A reply already owns the ids of its step and of its assistant
 * message: token streams show that id in every delta before the message is
 * written.
 */
export type Plan =
  | {
    readonly _tag: "Reply"
    readonly reply: Extract<Model.Outcome, { _tag: "Reply" }>
    readonly inputs: ReadonlyArray<UserInput>
    readonly stepId: string
    readonly assistantId: string
    readonly directives: Directives.StreamDirectives
  }
  | {
    readonly _tag: "Failure"
    readonly failure: Exclude<TurnResult, { _tag: "Completed" }>
    /** the model call failed inside a step, which leaves a failed step record */
    readonly inStep: boolean
    readonly directives: Directives.StreamDirectives
  }

/** Runs the scripted model on the request's input, without touching the store. */
export const plan = (store: Store, thread: Thread, request: SendRequest): Plan => {
  const first = request.messages[0]
  // `_prepare_in_context_messages_no_persist_async` indexes input_messages[0] before anything else.
  if (first === undefined) {
    return {
      _tag: "Failure",
      failure: { _tag: "Crash", exception: "IndexError", detail: "list index out of range", letta: false },
      inStep: false,
      directives: Directives.none
    }
  }
  // The scripted model never asks for approval, so there is never a pending request to answer.
  if (first.type !== "message") {
    return {
      _tag: "Failure",
      failure: { _tag: "Crash", exception: "ValueError", detail: noPendingApproval, letta: false },
      inStep: false,
      directives: Directives.none
    }
  }
  const inputs = request.messages.filter((m): m is UserInput => m.type === "message")
  const lastUser = [...inputs].reverse().find((m) => m.role === "user") ?? inputs[inputs.length - 1]!
  const { directives, text } = Directives.parse(textOf(lastUser.content))
  const outcome = Model.respond({ text, context: contextTexts(store, thread) })
  if (outcome._tag !== "Reply") {
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
    _tag: "Reply",
    reply: outcome,
    inputs,
    stepId: Ids.make("step"),
    assistantId: Ids.make("message"),
    directives
  }
}

/** The failed step a provider error or crash leaves behind. */
export const recordFailure = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  failure: Exclude<TurnResult, { _tag: "Completed" }>
): void => {
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

/** `_checkpoint_messages`: persists the step, the inputs and the reply, and extends the context window. */
export const commit = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  reply: Extract<Plan, { _tag: "Reply" }>,
  request: SendRequest,
  now: number
): Extract<TurnResult, { _tag: "Completed" }> => {
  const { agent, conversation } = thread
  const outcome = reply.reply
  const totalTokens = outcome.promptTokens + outcome.completionTokens
  const step = store.addStep({
    id: reply.stepId,
    runId: run.id,
    agentId: agent.id,
    promptTokens: outcome.promptTokens,
    completionTokens: outcome.completionTokens,
    totalTokens,
    stopReason: "end_turn",
    status: "success",
    errorType: null,
    errorData: null
  })
  const conversationId = conversation?.id ?? null
  const persisted: Array<MessageRecord> = reply.inputs.map((m) =>
    store.addMessage({
      agentId: agent.id,
      role: m.role,
      content: partsOf(m.content),
      otid: m.otid,
      name: m.name,
      senderId: m.sender_id,
      groupId: m.group_id,
      stepId: step.id,
      runId: run.id,
      conversationId,
      createdAt: now
    })
  )
  const assistant = store.addMessage({
    id: reply.assistantId,
    agentId: agent.id,
    role: "assistant",
    content: replyParts(outcome),
    stepId: step.id,
    runId: run.id,
    conversationId,
    createdAt: now
  })
  const ids = [...persisted.map((m) => m.id), assistant.id]
  if (conversation !== null) conversation.inContext.push(...ids)
  else agent.inContext.push(...ids)
  agent.updatedAt = now
  return {
    _tag: "Completed",
    messages: Wire.lettaMessagesFrom([assistant], { reverse: false, include: request.include_return_message_types }),
    usage: {
      promptTokens: outcome.promptTokens,
      completionTokens: outcome.completionTokens,
      totalTokens,
      stepCount: 1,
      contextTokens: totalTokens
    }
  }
}

/** Runs the scripted step and persists its messages and its step record at once (non-streaming and async sends). */
export const execute = (
  store: Store,
  thread: Thread,
  run: RunRecord,
  request: SendRequest,
  now: number
): TurnResult => {
  const decided = plan(store, thread, request)
  if (decided._tag === "Failure") {
    if (decided.inStep) recordFailure(store, thread, run, decided.failure)
    return decided.failure
  }
  return commit(store, thread, run, decided, request, now)
}

/** `str(exc)` as the run's `metadata.error` and `Step.error_data`. */
export const errorText = (result: Exclude<TurnResult, { _tag: "Completed" }>): string =>
  result._tag === "LlmError" ? result.spec.detail : result.detail

/** `LettaResponse` of a non-streaming turn. */
export const lettaResponse = (result: Extract<TurnResult, { _tag: "Completed" }>): Wire.WireObject => ({
  messages: result.messages,
  stop_reason: Wire.stopReason("end_turn"),
  usage: Wire.lettaUsage(result.usage),
  logprobs: null,
  turns: null
})
