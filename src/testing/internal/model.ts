/**
 * The scripted "LLM" behind every test-server agent. It is a function of the
 * input text and the agent's in-context history (plus fresh tool call ids),
 * so every run of a test sees the same words and the same token counts.
 *
 * - Reply: reasoning `The user said "T". I'll answer.` and answer `You said: T`.
 * - `/llm-error <type>` raises the provider error `<type>` inside the step.
 * - `/fail [message]` raises a plain exception inside the step.
 * - Tool calls: the `/tool` directives, else every offered tool `T` names
 *   (see `toolCalls.ts`), with reasoning `I'll call a, b.`.
 * - Once the client has answered the calls the latest user message led to,
 *   the model asks for the same calls again (fresh ids) until `/rounds <n>`
 *   answers came in, then reports with reasoning
 *   `The tools answered. I'll report.` and one line per call of the last
 *   request: `<name>: <text>`, or `<name> failed: <text>` for an error.
 *   The server's keep-alive message changes nothing: the model carries on.
 */
import { keepAliveText } from "./approvals.js"
import * as Directives from "./directives.js"
import * as Ids from "./ids.js"
import type { ToolCallRecord } from "./store.js"
import * as ToolCalls from "./toolCalls.js"

export type LlmErrorKind =
  | "llm_rate_limit"
  | "llm_timeout"
  | "llm_insufficient_credits"
  | "llm_authentication"
  | "mcp_connection_error"
  | "llm_bad_request"
  | "llm_error"

/** How one provider error surfaces on each path of the real server. */
export interface LlmErrorSpec {
  readonly kind: LlmErrorKind
  /** Python exception class (`Step.error_type`) */
  readonly exception: string
  /** `str(exc)`: LettaError prefixes its error code */
  readonly detail: string
  /** non-streaming: the `{"error": {...}}` handler in app.py */
  readonly status: number
  readonly message: string
  /** streaming: the `except` clause of `error_aware_stream` that catches it */
  readonly streamErrorType: string
  readonly streamMessage: string
  readonly streamStopReason: "llm_api_error" | "error"
}

const spec = (
  kind: LlmErrorKind,
  exception: string,
  code: string,
  status: number,
  message: string,
  stream: "own" | "llm_error" | "internal"
): LlmErrorSpec => {
  const detail = `${code}: Scripted ${kind} from the test server's model (directive /llm-error ${kind})`
  return {
    kind,
    exception,
    detail,
    status,
    message,
    streamErrorType: stream === "own" ? kind : stream === "llm_error" ? "llm_error" : "internal_error",
    // LettaError subclasses that are not LLMErrors stream their own str() as the message.
    streamMessage: stream === "own"
      ? message
      : stream === "llm_error"
      ? "An error occurred with the LLM request."
      : detail,
    streamStopReason: stream === "internal" ? "error" : "llm_api_error"
  }
}

const llmErrors: Readonly<Record<LlmErrorKind, LlmErrorSpec>> = {
  llm_rate_limit: spec(
    "llm_rate_limit",
    "LLMRateLimitError",
    "RATE_LIMIT_EXCEEDED",
    429,
    "Rate limit exceeded for LLM model provider. Please wait before making another request.",
    "own"
  ),
  llm_timeout: spec(
    "llm_timeout",
    "LLMTimeoutError",
    "TIMEOUT",
    504,
    "The LLM request timed out. Please try again.",
    "own"
  ),
  llm_insufficient_credits: spec(
    "llm_insufficient_credits",
    "LLMInsufficientCreditsError",
    "PAYMENT_REQUIRED",
    402,
    "Insufficient credits for LLM request. Please check your account.",
    "llm_error"
  ),
  llm_authentication: spec(
    "llm_authentication",
    "LLMAuthenticationError",
    "UNAUTHENTICATED",
    401,
    "Authentication failed with the LLM model provider.",
    "own"
  ),
  mcp_connection_error: spec(
    "mcp_connection_error",
    "LettaMCPConnectionError",
    "INTERNAL_SERVER_ERROR",
    502,
    "Failed to connect to MCP server.",
    "internal"
  ),
  llm_bad_request: spec(
    "llm_bad_request",
    "LLMBadRequestError",
    "INVALID_ARGUMENT",
    400,
    "The request to the LLM model provider was invalid.",
    "llm_error"
  ),
  llm_error: spec(
    "llm_error",
    "LLMError",
    "INTERNAL_SERVER_ERROR",
    500,
    "An error occurred with the LLM request.",
    "llm_error"
  )
}

export type Outcome =
  | {
    readonly _tag: "Reply"
    readonly reasoning: string
    readonly reply: string
    readonly promptTokens: number
    readonly completionTokens: number
  }
  | {
    readonly _tag: "ToolCalls"
    readonly reasoning: string
    /** every call of the response, before the agent applies `parallel_tool_calls` */
    readonly calls: ReadonlyArray<ToolCallRecord>
    readonly promptTokens: number
    readonly completionTokens: number
  }
  | { readonly _tag: "LlmError"; readonly spec: LlmErrorSpec }
  | { readonly _tag: "Crash"; readonly exception: string; readonly detail: string }

/** What the model reads of one message of its context. */
export type Seen =
  | { readonly _tag: "User"; readonly text: string }
  | { readonly _tag: "Calls"; readonly calls: ReadonlyArray<ToolCallRecord> }
  | {
    readonly _tag: "Returns"
    readonly returns: ReadonlyArray<{ readonly toolCallId: string; readonly ok: boolean; readonly text: string }>
  }
  | { readonly _tag: "Other" }

/** A rough, deterministic token count (about four characters per token). */
export const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

// The tool schemas and prompt scaffolding a real agent sends with every request.
const promptOverhead = 100

const promptTokens = (context: ReadonlyArray<string>, text: string) =>
  promptOverhead + context.reduce((n, t) => n + tokens(t), 0) + tokens(text)

const callTokens = (calls: ReadonlyArray<ToolCallRecord>) =>
  calls.reduce((n, c) => n + tokens(c.name) + tokens(c.arguments), 0)

const toolCalls = (
  calls: ReadonlyArray<{ readonly name: string; readonly arguments: string }>,
  prompt: number
): Outcome => {
  const withIds = calls.map((c): ToolCallRecord => ({ id: Ids.toolCallId(), name: c.name, arguments: c.arguments }))
  const reasoning = `I'll call ${calls.map((c) => c.name).join(", ")}.`
  return {
    _tag: "ToolCalls",
    reasoning,
    calls: withIds,
    promptTokens: prompt,
    completionTokens: tokens(reasoning) + callTokens(withIds)
  }
}

/**
 * The model's answer to a user turn: `text` without its directives, the
 * tools it may call and the `/tool` calls the text spelled out.
 */
export const respond = (input: {
  readonly text: string
  readonly context: ReadonlyArray<string>
  readonly tools?: ReadonlyArray<ToolCalls.OfferedTool> | undefined
  readonly calls?: ReadonlyArray<ToolCalls.PlannedCall> | undefined
}): Outcome => {
  const text = input.text.trim()
  const llmError = /^\/llm-error(?:\s+(\S+))?/.exec(text)
  if (llmError !== null) {
    const kind = llmError[1] as LlmErrorKind | undefined
    return { _tag: "LlmError", spec: kind !== undefined && kind in llmErrors ? llmErrors[kind] : llmErrors.llm_error }
  }
  const failure = /^\/fail(?:\s+([\s\S]*))?$/.exec(text)
  if (failure !== null) {
    const message = failure[1]?.trim()
    return {
      _tag: "Crash",
      exception: "RuntimeError",
      detail: message !== undefined && message !== "" ? message : "Scripted failure (directive /fail)"
    }
  }
  const prompt = promptTokens(input.context, input.text)
  const calls = input.calls !== undefined && input.calls.length > 0
    ? input.calls
    : ToolCalls.callsNamedIn(input.text, input.tools ?? [])
  if (calls.length > 0) return toolCalls(calls, prompt)
  const shown = input.text === "" ? "(no text)" : input.text
  const reasoning = `The user said "${shown}". I'll answer.`
  const reply = `You said: ${shown}`
  return { _tag: "Reply", reasoning, reply, promptTokens: prompt, completionTokens: tokens(reasoning) + tokens(reply) }
}

/**
 * The model's next step once tools have answered since the latest user
 * message (keep-alive pings aside), or undefined when none have.
 */
export const continueAfterTools = (history: ReadonlyArray<Seen>, context: ReadonlyArray<string>): Outcome | undefined => {
  let trigger = -1
  for (let i = history.length - 1; i >= 0; i--) {
    const seen = history[i]!
    if (seen._tag === "User" && seen.text !== keepAliveText) {
      trigger = i
      break
    }
  }
  const since = history.slice(trigger + 1)
  const answers = since.filter((s): s is Extract<Seen, { _tag: "Returns" }> => s._tag === "Returns")
  const lastAnswer = answers[answers.length - 1]
  if (lastAnswer === undefined) return undefined
  const asked = since.filter((s): s is Extract<Seen, { _tag: "Calls" }> => s._tag === "Calls")
  const calls = asked[asked.length - 1]?.calls ?? []
  const triggerText = trigger === -1 ? "" : (history[trigger] as Extract<Seen, { _tag: "User" }>).text
  const rounds = Directives.parse(triggerText, () => true).directives.rounds
  const prompt = promptTokens(context, "")
  if (answers.length < rounds && calls.length > 0) return toolCalls(calls, prompt)
  const reasoning = "The tools answered. I'll report."
  const reply = calls.flatMap((call) => {
    const answer = lastAnswer.returns.find((r) => r.toolCallId === call.id)
    return answer === undefined ? [] : [`${call.name}${answer.ok ? "" : " failed"}: ${answer.text}`]
  }).join("\n")
  return { _tag: "Reply", reasoning, reply, promptTokens: prompt, completionTokens: tokens(reasoning) + tokens(reply) }
}
