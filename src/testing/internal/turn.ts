/**
 * One agent turn: the scripted model's step, persisted like `LettaAgentV3`
 * does, described as a list of events that each transport renders its own way
 * (JSON `LettaResponse`, SSE step stream, or just the final run state).
 */
import * as Model from "./model.js"
import * as Runs from "./runs.js"
import type { AgentRecord, MessageRecord, Part, RunRecord, Store } from "./store.js"
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

const contextTexts = (store: Store, agent: AgentRecord): Array<string> => {
  const out: Array<string> = []
  for (const id of agent.inContext) {
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

/** Runs the scripted step and persists its messages and its step record. */
export const execute = (
  store: Store,
  agent: AgentRecord,
  run: RunRecord,
  request: SendRequest,
  now: number
): TurnResult => {
  const first = request.messages[0]
  // `_prepare_in_context_messages_no_persist_async` indexes input_messages[0] before anything else.
  if (first === undefined) {
    return { _tag: "Crash", exception: "IndexError", detail: "list index out of range", letta: false }
  }
  // The scripted model never asks for approval, so there is never a pending request to answer.
  if (first.type !== "message") {
    return { _tag: "Crash", exception: "ValueError", detail: noPendingApproval, letta: false }
  }
  const inputs = request.messages.filter((m): m is Extract<InputMessage, { type: "message" }> => m.type === "message")
  const lastUser = [...inputs].reverse().find((m) => m.role === "user") ?? inputs[inputs.length - 1]!
  const outcome = Model.respond({ text: textOf(lastUser.content), context: contextTexts(store, agent) })

  if (outcome._tag !== "Reply") {
    store.addStep({
      runId: run.id,
      agentId: agent.id,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      stopReason: null,
      status: "failed",
      errorType: outcome._tag === "LlmError" ? outcome.spec.exception : outcome.exception,
      errorData: { message: outcome._tag === "LlmError" ? outcome.spec.detail : outcome.detail }
    })
    return outcome._tag === "LlmError"
      ? outcome
      : { _tag: "Crash", exception: outcome.exception, detail: outcome.detail, letta: false }
  }

  const totalTokens = outcome.promptTokens + outcome.completionTokens
  const step = store.addStep({
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
  const persisted: Array<MessageRecord> = inputs.map((m) =>
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
      createdAt: now
    })
  )
  const assistant = store.addMessage({
    agentId: agent.id,
    role: "assistant",
    content: replyParts(outcome),
    stepId: step.id,
    runId: run.id,
    createdAt: now
  })
  agent.inContext.push(...persisted.map((m) => m.id), assistant.id)
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

/** `str(exc)` as the run's `metadata.error` and `Step.error_data`. */
export const errorText = (result: Exclude<TurnResult, { _tag: "Completed" }>): string =>
  result._tag === "LlmError" ? result.spec.detail : result.detail

// ---------------------------------------------------------------------------
// Events and their renderers
// ---------------------------------------------------------------------------

/** What a turn emits, in order; transports render these (step-mode SSE, JSON `LettaResponse`). */
export type TurnEvent =
  | { readonly _tag: "Message"; readonly message: Wire.WireObject }
  | { readonly _tag: "StopReason"; readonly reason: string }
  | { readonly _tag: "Usage"; readonly usage: Wire.Usage }
  /** a `LettaErrorMessage`, sent as `event: error` */
  | { readonly _tag: "Error"; readonly error: Wire.WireObject }

/**
 * The events of a turn as the streaming service emits them. An exception before
 * any agent output (all the scripted model raises) becomes `stop_reason` plus an
 * error event, mapped like `error_aware_stream`'s `except` clauses.
 */
export const events = (run: RunRecord, result: TurnResult): ReadonlyArray<TurnEvent> => {
  if (result._tag === "Completed") {
    return [
      ...result.messages.map((message): TurnEvent => ({ _tag: "Message", message })),
      { _tag: "StopReason", reason: "end_turn" },
      { _tag: "Usage", usage: result.usage }
    ]
  }
  const [reason, errorType, message] = result._tag === "LlmError"
    ? [result.spec.streamStopReason, result.spec.streamErrorType, result.spec.streamMessage]
    : ["error", "internal_error", result.letta ? result.detail : "An unknown error occurred with the LLM streaming request."]
  return [
    { _tag: "StopReason", reason },
    { _tag: "Error", error: Wire.errorMessage(run.id, errorType, message, errorText(result)) }
  ]
}

const frame = (payload: unknown) => `data: ${Wire.stringify(payload)}\n\n`

/** Step-mode SSE of a foreground stream: optional initial ping, the events, then `[DONE]`. */
export const sseFrames = (
  run: RunRecord,
  turnEvents: ReadonlyArray<TurnEvent>,
  options: { readonly includePings: boolean; readonly now: number }
): Array<string> => {
  const frames: Array<string> = []
  // prepend_initial_run_ping
  if (options.includePings) frames.push(frame(Wire.ping(run.id, options.now)))
  for (const event of turnEvents) {
    switch (event._tag) {
      case "Message":
        frames.push(frame(event.message))
        break
      case "StopReason":
        frames.push(frame(Wire.stopReason(event.reason)))
        break
      case "Usage":
        frames.push(frame(Wire.lettaUsage(event.usage)))
        break
      case "Error":
        frames.push(`event: error\ndata: ${Wire.stringify(event.error)}\n\n`)
        break
    }
  }
  frames.push("data: [DONE]\n\n")
  return frames
}

/** `LettaResponse` of a non-streaming turn. */
export const lettaResponse = (turnEvents: ReadonlyArray<TurnEvent>): Wire.WireObject => {
  const messages: Array<Wire.WireObject> = []
  let reason = "end_turn"
  let usage: Wire.Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, stepCount: 0, contextTokens: null }
  for (const event of turnEvents) {
    if (event._tag === "Message") messages.push(event.message)
    else if (event._tag === "StopReason") reason = event.reason
    else if (event._tag === "Usage") usage = event.usage
  }
  return { messages, stop_reason: Wire.stopReason(reason), usage: Wire.lettaUsage(usage), logprobs: null, turns: null }
}

/** The terminal update `error_aware_stream` makes once a foreground stream has ended. */
export const finishStreamingRun = (store: Store, run: RunRecord, turnEvents: ReadonlyArray<TurnEvent>, now: number) => {
  const reason = [...turnEvents].reverse().find((e) => e._tag === "StopReason")
  const error = turnEvents.find((e) => e._tag === "Error")
  const stopReason = reason?._tag === "StopReason" ? reason.reason : "end_turn"
  if (error?._tag === "Error") {
    Runs.update(store, run, { status: "failed", stopReason, error: { error: error.error }, now })
  } else {
    Runs.update(store, run, { status: "completed", stopReason, now })
    run.ttftNs = run.totalDurationNs
  }
}
