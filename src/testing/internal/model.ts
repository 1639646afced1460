/**
 * The scripted "LLM" behind every test-server agent. It is a pure function of
 * the input text and the agent's in-context history, so every run of a test
 * sees the same words and the same token counts.
 *
 * - Reply: reasoning `The user said "T". I'll answer.` and answer `You said: T`.
 * - `/llm-error <type>` raises the provider error `<type>` inside the step.
 * - `/fail [message]` raises a plain exception inside the step.
 */

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

export const llmErrors: Readonly<Record<LlmErrorKind, LlmErrorSpec>> = {
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
  | { readonly _tag: "LlmError"; readonly spec: LlmErrorSpec }
  | { readonly _tag: "Crash"; readonly exception: string; readonly detail: string }

/** A rough, deterministic token count (about four characters per token). */
export const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

// The tool schemas and prompt scaffolding a real agent sends with every request.
const promptOverhead = 100

export const respond = (input: { readonly text: string; readonly context: ReadonlyArray<string> }): Outcome => {
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
  const shown = input.text === "" ? "(no text)" : input.text
  const reasoning = `The user said "${shown}". I'll answer.`
  const reply = `You said: ${shown}`
  const promptTokens = promptOverhead + input.context.reduce((n, t) => n + tokens(t), 0) + tokens(input.text)
  return { _tag: "Reply", reasoning, reply, promptTokens, completionTokens: tokens(reasoning) + tokens(reply) }
}
