/**
 * The server's side of human approvals and client-side tools, after
 * `agents/helpers.py` (`_prepare_in_context_messages_no_persist_async`,
 * `validate_approval_tool_call_ids`), the approval branch of
 * `LettaAgentV3._step` / `_handle_ai_response` and `RunManager.cancel_run`:
 *
 * - a regular message while the context ends in an approval request is a
 *   `PendingApprovalError`;
 * - an answer (`ApprovalCreate`, or a `ToolReturnCreate` turned into one)
 *   must name exactly the pending calls; without a pending request it is an
 *   error, unless its returns are already persisted (an idempotent retry),
 *   which makes the turn a keep-alive;
 * - an accepted answer becomes an approval response and ONE tool message
 *   holding the client's returns, then the denials, then the results of the
 *   approved calls the server ran itself.
 */
import { randomUUID } from "node:crypto"
import { repr } from "./pyrepr.js"
import * as PyJson from "./pyjson.js"
import type {
  ApprovalItem,
  ApprovalResponse,
  MessageRecord,
  Part,
  Store,
  ToolCallRecord,
  ToolReturnRecord
} from "./store.js"
import { approvalTool } from "./toolCalls.js"
import type { InputMessage, ReturnInput } from "./validate.js"

/** The user message the server makes up for a retried answer that was already processed. */
export const keepAliveText =
  "<system-alert>Automated keep-alive ping. Ignore this message and continue from where you stopped.</system-alert>"

/** `PendingApprovalError`'s `str()`. */
const pendingApprovalText = "CONFLICT: Cannot send a new message: The agent is waiting for approval on a tool " +
  "call. Please approve or deny the pending request before continuing."

const noPendingApproval = "Cannot process approval response: No tool call is currently awaiting approval. " +
  "Please send a regular message to interact with the agent."

/** `TOOL_CALL_DENIAL_ON_CANCEL` */
const denialOnCancel = "The user cancelled the request, so the tool call was denied."

type UserInput = Extract<InputMessage, { type: "message" }>

/** The approval request the context ends with, if any (`Message.is_approval_request`). */
const pendingRequest = (context: ReadonlyArray<MessageRecord>): MessageRecord | undefined => {
  const last = context[context.length - 1]
  return last !== undefined && last.role === "approval" && last.toolCalls !== null && last.toolCalls.length > 0
    ? last
    : undefined
}

/** What a request's input messages mean for the turn, before anything is persisted. */
export type Prepared =
  /** regular messages: persisted with the model's step */
  | { readonly _tag: "Messages"; readonly inputs: ReadonlyArray<UserInput> }
  /** an accepted answer to `request`; `followUps` are persisted with the step after it */
  | {
    readonly _tag: "Answer"
    readonly request: MessageRecord
    readonly calls: ReadonlyArray<ToolCallRecord>
    readonly answer: Extract<InputMessage, { type: "approval" }>
    readonly followUps: ReadonlyArray<UserInput>
  }
  /** a retried answer already processed: the follow-ups, or a keep-alive message, start a new step */
  | { readonly _tag: "KeepAlive"; readonly inputs: ReadonlyArray<UserInput> }
  /** raised before any step */
  | {
    readonly _tag: "Rejected"
    readonly exception: "ValueError" | "PendingApprovalError" | "IndexError"
    readonly detail: string
    /** the approval request a `PendingApprovalError` names */
    readonly pendingRequestId?: string | undefined
  }

const userInputs = (messages: ReadonlyArray<InputMessage>): ReadonlyArray<UserInput> =>
  messages.filter((m): m is UserInput => m.type === "message")

/** `ToolReturnCreate` → `ApprovalCreate(approvals=tool_returns)`: a fresh otid, no deprecated fields. */
const asApproval = (message: InputMessage): Extract<InputMessage, { type: "approval" }> | undefined => {
  if (message.type === "approval") return message
  if (message.type === "message") return undefined
  return {
    type: "approval",
    otid: randomUUID(),
    group_id: null,
    approvals: message.tool_returns,
    approve: null,
    approval_request_id: null,
    reason: null
  }
}

const idsOf = (approvals: ReadonlyArray<ReturnInput> | null) => (approvals ?? []).map((a) => a.tool_call_id)

const sameIdSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  const left = new Set(a)
  const right = new Set(b)
  return left.size === right.size && [...left].every((id) => right.has(id))
}

/** `validate_persisted_tool_call_ids`: this tool message already holds exactly the answer's returns. */
const alreadyAnswered = (message: MessageRecord, answer: Extract<InputMessage, { type: "approval" }>): boolean =>
  message.role === "tool" && message.toolReturns !== null && message.toolReturns.length > 0 &&
  (answer.approvals ?? []).length > 0 &&
  sameIdSet(message.toolReturns.map((r) => r.toolCallId), idsOf(answer.approvals))

/** `validate_approval_tool_call_ids`: the error text, or undefined when the answer fits the request. */
const invalidAnswer = (request: MessageRecord, answer: Extract<InputMessage, { type: "approval" }>) => {
  const expected = (request.toolCalls ?? []).map((c) => c.id)
  if (expected.length === 0) {
    return `Invalid tool call IDs. Approval request message '${request.id}' does not contain any tool calls.`
  }
  if (answer.approvals === null || answer.approvals.length === 0) {
    return "Invalid approval response. Approval response message does not contain any approvals."
  }
  const received = idsOf(answer.approvals)
  if (sameIdSet(expected, received)) return undefined
  // The legacy form named the request's message instead of its only call.
  if (expected.length === 1 && received[0] === request.id) return undefined
  return `Invalid tool call IDs. Expected '${repr(expected)}', but received '${repr(received)}'.`
}

/**
 * `_prepare_in_context_messages_no_persist_async` for `messages` against the
 * thread's `context`; `lastToolMessage` is the agent's newest tool message,
 * consulted only when the context holds nothing but system messages.
 */
export const prepare = (
  context: ReadonlyArray<MessageRecord>,
  messages: ReadonlyArray<InputMessage>,
  lastToolMessage: () => MessageRecord | undefined
): Prepared => {
  const answer = asApproval(messages[0]!)
  if (answer === undefined) {
    const pending = pendingRequest(context)
    return pending !== undefined
      ? {
        _tag: "Rejected",
        exception: "PendingApprovalError",
        detail: pendingApprovalText,
        pendingRequestId: pending.id
      }
      : { _tag: "Messages", inputs: userInputs(messages) }
  }
  const followUps = userInputs(messages.slice(1))
  const last = context[context.length - 1]
  if (last !== undefined && last.role !== "approval") {
    const recent = context.slice(-10)
    let processed = recent.some((m) => alreadyAnswered(m, answer))
    // After a compaction the answer may be older than the context: the newest tool message counts too.
    if (!processed && context.every((m) => m.role === "system" || m.role === "summary")) {
      const newest = lastToolMessage()
      processed = newest !== undefined && alreadyAnswered(newest, answer)
    }
    if (!processed) return { _tag: "Rejected", exception: "ValueError", detail: noPendingApproval }
    return {
      _tag: "KeepAlive",
      inputs: followUps.length > 0 ? followUps : [{
        type: "message",
        role: "user",
        content: [{ type: "text", text: keepAliveText, signature: null }],
        otid: randomUUID(),
        name: null,
        sender_id: null,
        group_id: null
      }]
    }
  }
  // An empty context (never the case with a system message) has no last message to validate against.
  if (last === undefined) return { _tag: "Rejected", exception: "IndexError", detail: "list index out of range" }
  const invalid = invalidAnswer(last, answer)
  if (invalid !== undefined) return { _tag: "Rejected", exception: "ValueError", detail: invalid }
  return { _tag: "Answer", request: last, calls: last.toolCalls ?? [], answer, followUps }
}

// ---------------------------------------------------------------------------
// Executing an answer
// ---------------------------------------------------------------------------

/** `_safe_load_tool_call_str`: arguments that are not a JSON object count as none. */
const loadArguments = (text: string): Record<string, unknown> => {
  const cut = text.includes("}{") ? `${text.split("}{")[0]}}` : text
  let parsed = PyJson.parse(cut)
  if (parsed._tag === "Ok" && typeof parsed.value === "string") parsed = PyJson.parse(parsed.value)
  return parsed._tag === "Ok" && typeof parsed.value === "object" && parsed.value !== null && !Array.isArray(parsed.value)
    ? parsed.value as Record<string, unknown>
    : {}
}

/** `get_friendly_error_msg` of an exception the tool raised. */
const toolError = (name: string, exception: string, message: string) =>
  `Error executing function ${name}: ${exception}: ${message}`

/**
 * The approval tool as the sandbox runs it (`def delete_records(table: str) -> str`).
 * Any other approved name is not one of the agent's tools.
 */
const execute = (call: ToolCallRecord): ToolReturnRecord => {
  if (call.name !== approvalTool.name) {
    return { toolCallId: call.id, status: "error", response: "Tool not found", stdout: null, stderr: null }
  }
  const args = loadArguments(call.arguments)
  const unexpected = Object.keys(args).find((key) => key !== "table")
  const failure = unexpected !== undefined
    ? `${call.name}() got an unexpected keyword argument '${unexpected}'`
    : !("table" in args)
    ? `${call.name}() missing 1 required positional argument: 'table'`
    : undefined
  if (failure !== undefined) {
    const error = toolError(call.name, "TypeError", failure)
    return { toolCallId: call.id, status: "error", response: error, stdout: [], stderr: [error] }
  }
  const table = args["table"]
  // An f-string shows a string as is and anything else as Python prints it.
  const shown = typeof table === "string" ? table : repr(table)
  return { toolCallId: call.id, status: "success", response: `Deleted 3 records from ${shown}`, stdout: [], stderr: [] }
}

/** `create_tool_returns_for_denials`; a missing reason prints as Python's `None`. */
const denial = (call: ToolCallRecord, reason: string | null): ToolReturnRecord => ({
  toolCallId: call.id,
  status: "error",
  response: `Error: request to call tool denied. User reason: ${reason ?? "None"}`,
  stdout: null,
  stderr: null
})

/**
 * The clamp on client returns: ~20% of the context window in characters, at
 * least 5000, applied to the text the client sent (the packaged `message`).
 */
const clamp = (response: string | ReadonlyArray<Part>, contextWindow: number) => {
  const cap = Math.max(5000, Math.floor(contextWindow * 0.2 * 4))
  if (typeof response !== "string") return response
  const chars = Array.from(response)
  return chars.length <= cap
    ? response
    : `${chars.slice(0, cap).join("")}... [truncated ${chars.length - cap} chars]`
}

/** What an accepted answer persists: its approval response, and the returns of the tool message after it. */
export interface Outcome {
  readonly response: ApprovalResponse
  readonly groupId: string | null
  readonly returns: ReadonlyArray<ToolReturnRecord>
  /** the tool message's name: the first call the server ran */
  readonly toolName: string | null
  /** whether the server ran any call (token streams only show the tool message then) */
  readonly executed: boolean
}

const clientReturn = ({ type: _, ...r }: Extract<ApprovalItem, { type: "tool" }>): ToolReturnRecord => r

/** Runs an accepted answer: client returns, then denials, then the approved calls (in request order). */
export const resolve = (prepared: Extract<Prepared, { _tag: "Answer" }>, contextWindow: number): Outcome => {
  const items = prepared.answer.approvals ?? []
  const approvals: Array<ApprovalItem> = items.map((item) =>
    item.type === "approval"
      ? { type: "approval", toolCallId: item.tool_call_id, approve: item.approve, reason: item.reason }
      : {
        type: "tool",
        toolCallId: item.tool_call_id,
        status: item.status,
        response: clamp(item.tool_return, contextWindow),
        stdout: item.stdout,
        stderr: item.stderr
      }
  )
  const backfill = prepared.calls[0]?.id
  const approved = new Set<string | undefined>()
  const denied = new Map<string, string | null>()
  for (const a of approvals) {
    if (a.type !== "approval") continue
    // The legacy form answers with the request's message id, meaning its first call.
    if (a.approve) approved.add(a.toolCallId.startsWith("message-") ? backfill : a.toolCallId)
    else denied.set(a.toolCallId, a.reason)
  }
  const run = prepared.calls.filter((c) => approved.has(c.id))
  const returns: Array<ToolReturnRecord> = [
    ...approvals.flatMap((a) => (a.type === "tool" ? [clientReturn(a)] : [])),
    ...prepared.calls.filter((c) => denied.has(c.id)).map((c) => denial(c, denied.get(c.id) ?? null)),
    ...run.map(execute)
  ]
  return {
    response: {
      approvals,
      approve: prepared.answer.approve,
      approvalRequestId: prepared.answer.approval_request_id,
      reason: prepared.answer.reason
    },
    groupId: prepared.answer.group_id,
    returns,
    toolName: run[0]?.name ?? null,
    executed: run.length > 0
  }
}

// ---------------------------------------------------------------------------
// Cancelling
// ---------------------------------------------------------------------------

/**
 * `cancel_run`'s clean-up: when the agent's own context (never a
 * conversation's) ends in an approval request, every pending call is denied
 * for the cancelled run, under the request's step.
 */
export const denyOnCancel = (store: Store, agentId: string, runId: string, now: number): void => {
  const agent = store.agents.get(agentId)
  if (agent === undefined) return
  const context = agent.inContext.map((id) => store.messages.get(id)).filter((m) => m !== undefined)
  const request = pendingRequest(context)
  if (request === undefined) return
  const calls = request.toolCalls ?? []
  const common = { agentId, stepId: request.stepId, runId, conversationId: null, createdAt: now }
  const response = store.addMessage({
    ...common,
    role: "approval",
    content: [],
    approvalResponse: {
      approvals: calls.map((c) => ({ type: "approval", toolCallId: c.id, approve: false, reason: denialOnCancel })),
      approve: null,
      approvalRequestId: request.id,
      reason: null
    }
  })
  const tool = store.addMessage({
    ...common,
    role: "tool",
    content: [],
    toolReturns: calls.map((c) => denial(c, denialOnCancel))
  })
  agent.inContext.push(response.id, tool.id)
}
