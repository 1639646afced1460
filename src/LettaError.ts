/**
 * The one error type of the library. Every failure of every operation is one of the
 * `Schema.TaggedError` classes below, so callers can `catchTag` exactly what they handle.
 * Errors never hold request headers, so the API key cannot leak through them.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"
import { clip, jsonExcerpt } from "./internal/text.js"
import { Run } from "./schema/runs.js"
import { ToolCall } from "./schema/tools.js"

/**
 * The `{"error": {...}}` envelope the server uses for LLM provider failures.
 *
 * @since 0.1.0
 * @category models
 */
export class ErrorEnvelope extends Schema.Class<ErrorEnvelope>("ErrorEnvelope")({
  type: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.Unknown)
}) {}

/**
 * What every HTTP error carries: the status, where the request went (without headers or
 * credentials), what the server said, and the hints it gave for retrying.
 */
const httpErrorFields = {
  /** HTTP status code. */
  status: Schema.Int,
  /** HTTP method of the request. */
  method: Schema.String,
  /** The request URL, without any credentials. */
  url: Schema.String,
  /** The server's `detail`: a string, or an object (e.g. a pending-approval conflict). */
  detail: Schema.optional(Schema.Unknown),
  /** The `{"error": {...}}` envelope of LLM provider failures. */
  error: Schema.optional(ErrorEnvelope),
  /** The JSON body, when it was JSON and small enough to keep. */
  body: Schema.optional(Schema.Unknown),
  /** The start of a body that was not JSON (an HTML page from a proxy, say). */
  bodyExcerpt: Schema.optional(Schema.String),
  /** The request id from the response headers, for support requests. */
  requestId: Schema.optional(Schema.String),
  /** How long the server asked to wait (`retry-after-ms` or `Retry-After`). */
  retryAfter: Schema.optional(Schema.Duration)
}

const statusText: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}


const stringAt = (value: unknown, key: string): string | undefined => {
  const field = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return typeof field === "string" ? field : undefined
}

/**
 * The most useful sentence the server gave, from whichever body shape it used: FastAPI's
 * `detail` (a string or an object), the LLM-error envelope, or Letta Cloud's gateway bodies
 * (`{"error": "…"}`, `message`, `reason_text`, `errorCode`).
 */
const serverSaid = (error: HttpFields): string | undefined => {
  if (error.error?.message !== undefined) return error.error.message
  const detail = error.detail
  if (typeof detail === "string") return detail
  if (typeof detail === "object" && detail !== null) return stringAt(detail, "message") ?? jsonExcerpt(detail, 300)
  const body = error.body
  if (typeof body === "string") return body
  const said = stringAt(body, "error") ?? stringAt(body, "message") ?? stringAt(body, "reason_text") ??
    stringAt(body, "errorCode")
  if (said !== undefined) return said
  if (error.bodyExcerpt !== undefined) return error.bodyExcerpt.replace(/\s+/g, " ").trim()
  return undefined
}

interface HttpFields extends Schema.Struct.Type<typeof httpErrorFields> {}

const describe = (error: HttpFields): string => {
  const said = serverSaid(error)
  const head = `${error.status} ${statusText[error.status] ?? "HTTP error"}`
  const path = (() => {
    try {
      return new URL(error.url).pathname
    } catch {
      return error.url
    }
  })()
  const extras = [
    `${error.method} ${path}`,
    error.requestId === undefined ? undefined : `request id ${error.requestId}`,
    error.retryAfter === undefined ? undefined : `retry after ${Duration.format(error.retryAfter)}`
  ].filter((part) => part !== undefined)
  return `${head}${said === undefined ? "" : `: ${clip(said, 300)}`} (${extras.join(", ")})`
}

/**
 * 400: the server rejected the request (e.g. a malformed run id, or a run that was not
 * started in background mode).
 *
 * @since 0.1.0
 * @category http errors
 */
export class BadRequestError extends Schema.TaggedError<BadRequestError>()("BadRequestError", httpErrorFields) {
  override get message() {
    return describe(this)
  }
}

/**
 * 401: the API key is missing or wrong (or the LLM provider rejected the server's key).
 *
 * @since 0.1.0
 * @category http errors
 */
export class AuthenticationError
  extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", httpErrorFields)
{
  override get message() {
    return describe(this)
  }
}

/**
 * 402: out of credits or quota.
 *
 * @since 0.1.0
 * @category http errors
 */
export class PaymentRequiredError
  extends Schema.TaggedError<PaymentRequiredError>()("PaymentRequiredError", httpErrorFields)
{
  override get message() {
    return describe(this)
  }
}

/**
 * 403: the key is valid but not allowed to do this.
 *
 * @since 0.1.0
 * @category http errors
 */
export class PermissionDeniedError
  extends Schema.TaggedError<PermissionDeniedError>()("PermissionDeniedError", httpErrorFields)
{
  override get message() {
    return describe(this)
  }
}

/**
 * 404: no such agent, run, conversation or cursor.
 *
 * @since 0.1.0
 * @category http errors
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", httpErrorFields) {
  override get message() {
    return describe(this)
  }
}

/**
 * What a 409 is about, read from the server's text since it sends no machine code.
 *
 * @since 0.1.0
 * @category http errors
 */
export const ConflictReason = Schema.Literal("conversation_busy", "pending_approval", "no_active_runs", "other")

/**
 * @since 0.1.0
 * @category http errors
 */
export type ConflictReason = typeof ConflictReason.Type

/**
 * 409: the conversation is busy with another run (`runId` names it), the agent is waiting
 * for a tool approval (`pendingRequestId` names the request when the server says), there is
 * nothing to cancel, or a database conflict.
 *
 * @since 0.1.0
 * @category http errors
 */
export class ConflictError extends Schema.TaggedError<ConflictError>()("ConflictError", {
  ...httpErrorFields,
  reason: ConflictReason,
  runId: Schema.optional(Schema.String),
  pendingRequestId: Schema.optional(Schema.String)
}) {
  override get message() {
    return describe(this)
  }
}

/**
 * 410: the run's stream is older than the server keeps streams (3 hours).
 *
 * @since 0.1.0
 * @category http errors
 */
export class GoneError extends Schema.TaggedError<GoneError>()("GoneError", httpErrorFields) {
  override get message() {
    return describe(this)
  }
}

/**
 * 422: the server could not validate the request. Its `detail` is a string.
 *
 * @since 0.1.0
 * @category http errors
 */
export class UnprocessableEntityError
  extends Schema.TaggedError<UnprocessableEntityError>()("UnprocessableEntityError", httpErrorFields)
{
  override get message() {
    return describe(this)
  }
}

/**
 * 429: rate limited, by Letta or by the LLM provider.
 *
 * @since 0.1.0
 * @category http errors
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>()("RateLimitError", httpErrorFields) {
  override get message() {
    return describe(this)
  }
}

/**
 * What a 5xx is about, where the server says: `no_stream_storage` is a 503 from a server
 * without Redis, which cannot run `background: true` streams or resume them (send without
 * `background` instead); anything else is `other`.
 *
 * @since 0.1.0
 * @category http errors
 */
export const ServerErrorReason = Schema.Literal("no_stream_storage", "other")

/**
 * @since 0.1.0
 * @category http errors
 */
export type ServerErrorReason = typeof ServerErrorReason.Type

/**
 * 5xx: the server (or a proxy in front of it) failed. `reason` tells a server that cannot
 * keep background streams from other failures.
 *
 * @since 0.1.0
 * @category http errors
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  ...httpErrorFields,
  reason: Schema.optionalWith(ServerErrorReason, { default: () => "other" })
}) {
  override get message() {
    return describe(this)
  }
}

/**
 * Any other non-2xx status (a redirect, 405, 413, 499, …).
 *
 * @since 0.1.0
 * @category http errors
 */
export class UnexpectedStatusError
  extends Schema.TaggedError<UnexpectedStatusError>()("UnexpectedStatusError", httpErrorFields)
{
  override get message() {
    return describe(this)
  }
}

/**
 * The request never got a response: connection refused or reset, DNS failure, TLS failure,
 * or the connection dropped while the response body was being read.
 *
 * @since 0.1.0
 * @category other errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  method: Schema.String,
  url: Schema.String,
  /**
   * How far it got. `connect`: no connection could be opened (refused, DNS failure, connect
   * timeout), so the request provably never left the client and is safe to send again.
   * `request`: it failed after that, before a response; the server may have received and
   * acted on the request. `response`: the response had started and its body was cut off.
   */
  phase: Schema.Literal("connect", "request", "response"),
  description: Schema.String
}) {
  override get message() {
    const where = this.phase === "connect"
      ? "could not connect"
      : this.phase === "request"
      ? "request failed"
      : "response body was cut off"
    return `${where}: ${this.description} (${this.method} ${this.url})`
  }
}

/**
 * The server reported an error inside a stream (`event: error`), after every message before
 * it was delivered. `errorType` is the server's `error_type` (e.g. `llm_rate_limit`,
 * `internal_error`), or `code` for the wrapper's `{"error", "code"}` shape.
 *
 * @since 0.1.0
 * @category stream errors
 */
export class StreamError extends Schema.TaggedError<StreamError>()("StreamError", {
  errorType: Schema.String,
  /** The server's message. */
  serverMessage: Schema.String,
  detail: Schema.optional(Schema.String),
  runId: Schema.optional(Schema.String),
  seqId: Schema.optional(Schema.Number)
}) {
  override get message() {
    const detail = this.detail === undefined || this.detail === "" ? "" : ` (${clip(this.detail, 300)})`
    const run = this.runId === undefined ? "" : ` [run ${this.runId}]`
    return `${this.errorType}: ${clip(this.serverMessage, 300)}${detail}${run}`
  }
}

/**
 * The run was cancelled while the stream was open (`stop_reason: "cancelled"` or
 * `event: cancelled`). Every message before the cancellation was delivered.
 *
 * @since 0.1.0
 * @category stream errors
 */
export class StreamCancelledError extends Schema.TaggedError<StreamCancelledError>()("StreamCancelledError", {
  runId: Schema.optional(Schema.String)
}) {
  override get message() {
    return `the run was cancelled${this.runId === undefined ? "" : ` (run ${this.runId})`}`
  }
}

/**
 * The stream ended without a terminal event: the connection dropped or the server gave up.
 * The run may still be going on the server; `runId` and `seqId` (the last seen) say where a
 * background run can be resumed from.
 *
 * @since 0.1.0
 * @category stream errors
 */
export class StreamTruncatedError extends Schema.TaggedError<StreamTruncatedError>()("StreamTruncatedError", {
  method: Schema.String,
  url: Schema.String,
  runId: Schema.optional(Schema.String),
  seqId: Schema.optional(Schema.Number),
  /** How it ended: absent for a clean end of the body, else why the connection dropped. */
  description: Schema.optional(Schema.String),
  /**
   * For a background stream: how many resumes were tried before giving up (`description`
   * says why the last one failed). `runs.stream(runId, { starting_after: seqId })` can
   * still pick it up later.
   */
  resumeAttempts: Schema.optional(Schema.Int)
}) {
  override get message() {
    const where = [
      this.runId === undefined ? undefined : `run ${this.runId}`,
      this.seqId === undefined ? undefined : `last seq_id ${this.seqId}`
    ].filter((part) => part !== undefined)
    const resumes = this.resumeAttempts === undefined
      ? ""
      : `; ${this.resumeAttempts} resume attempts failed, the last with: ${this.description ?? "no reason given"}`
    const how = this.description === undefined || this.resumeAttempts !== undefined
      ? "ended"
      : `was cut off (${this.description})`
    return `the stream from ${this.method} ${this.url} ${how} without a terminal event${
      where.length === 0 ? "" : ` (${where.join(", ")})`
    }${resumes}`
  }
}

/**
 * A time limit ran out and the request was abandoned (its connection closed): `total` for a
 * whole request, `headers` for the wait for response headers, `idle` for a silence between
 * stream events.
 *
 * @since 0.1.0
 * @category other errors
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  method: Schema.String,
  url: Schema.String,
  limit: Schema.Literal("total", "headers", "idle"),
  timeout: Schema.Duration,
  /** For a stream: the last run id and `seq_id` seen, where a background run can resume. */
  runId: Schema.optional(Schema.String),
  seqId: Schema.optional(Schema.Number)
}) {
  override get message() {
    const what = this.limit === "total" ? "did not complete" : this.limit === "headers" ? "sent no response headers" : "went silent"
    return `${this.method} ${this.url} ${what} within ${Duration.format(this.timeout)}`
  }
}

/**
 * Why a run was ended: its `metadata.error` (a string, or `{"error": LettaErrorMessage}`),
 * else its stop reason and status.
 */
const runFailure = (run: Run): string => {
  const error = run.metadata?.error
  const said = typeof error === "string"
    ? error
    : typeof error === "object" && error !== null
    ? (typeof (error as { error?: { message?: unknown } }).error?.message === "string"
      ? (error as { error: { message: string } }).error.message
      : jsonExcerpt(error, 300))
    : undefined
  const state = `stop reason ${run.stop_reason ?? "none"}, status ${run.status}`
  return said === undefined ? state : `${clip(said, 300)} (${state})`
}

/**
 * A run ended unsuccessfully: an error stop reason (`error`, `llm_api_error`,
 * `invalid_tool_call`, …), even on a run whose status is `completed`, or the status
 * `failed`. `run` is the run as last read.
 *
 * @since 0.1.0
 * @category run errors
 */
export class RunFailedError extends Schema.TaggedError<RunFailedError>()("RunFailedError", { run: Run }) {
  override get message() {
    return `run ${this.run.id} failed: ${runFailure(this.run)}`
  }
}

/**
 * A run was cancelled before it finished. `run` is the run as last read.
 *
 * @since 0.1.0
 * @category run errors
 */
export class RunCancelledError extends Schema.TaggedError<RunCancelledError>()("RunCancelledError", { run: Run }) {
  override get message() {
    return `run ${this.run.id} was cancelled`
  }
}

/**
 * The run has no stream to read, so it was not asked for one: `async_run` for a run started
 * with `createAsync` (the server keeps no stream for those, and would hold the request open
 * forever), `not_background` for a run streamed in the foreground. Wait for it with
 * `runs.await`, then read `runs.messages`.
 *
 * @since 0.1.0
 * @category run errors
 */
export class RunNotStreamableError extends Schema.TaggedError<RunNotStreamableError>()("RunNotStreamableError", {
  runId: Schema.String,
  reason: Schema.Literal("async_run", "not_background")
}) {
  override get message() {
    return this.reason === "async_run"
      ? `run ${this.runId} is an async run: it has no stream; wait for it with runs.await`
      : `run ${this.runId} was not started in background mode, so its stream cannot be read again`
  }
}

const callList = (calls: ReadonlyArray<ToolCall>): string =>
  calls.length === 0 ? "no tool call" : clip(calls.map((call) => `${call.name} (${call.tool_call_id})`).join(", "), 300)

/**
 * The agent stopped to have server-side tool calls approved, and the tool loop was given no
 * `approve` function to decide. The agent keeps waiting for the decision (and refuses other
 * messages): answer it with `ClientTools.resume(target, error, { toolkit, approve })`.
 *
 * @since 0.1.0
 * @category tool errors
 */
export class ApprovalRequiredError extends Schema.TaggedError<ApprovalRequiredError>()("ApprovalRequiredError", {
  runId: Schema.optional(Schema.String),
  toolCalls: Schema.Array(ToolCall)
}) {
  override get message() {
    return `the agent asks for approval of ${callList(this.toolCalls)}, and no approve function was given`
  }
}

/**
 * The agent asked for tools again after the tool loop had answered `maxRounds` rounds. The
 * agent keeps waiting for the results of `toolCalls`: `ClientTools.resume(target, error,
 * options)` answers them and goes on.
 *
 * @since 0.1.0
 * @category tool errors
 */
export class ToolRoundLimitError extends Schema.TaggedError<ToolRoundLimitError>()("ToolRoundLimitError", {
  maxRounds: Schema.Int,
  runId: Schema.optional(Schema.String),
  toolCalls: Schema.Array(ToolCall)
}) {
  override get message() {
    return `the agent still asks for tools after ${this.maxRounds} rounds: ${callList(this.toolCalls)}`
  }
}

/**
 * The server's response could not be read as the expected type. `excerpt` holds the start
 * of the offending payload.
 *
 * @since 0.1.0
 * @category other errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  method: Schema.String,
  url: Schema.String,
  description: Schema.String,
  excerpt: Schema.String
}) {
  override get message() {
    return `unexpected response from ${this.method} ${this.url}: ${this.description} — payload: ${this.excerpt}`
  }
}

/**
 * The request was rejected before it was sent: an invalid body or parameter, or a path
 * parameter that could change the request path.
 *
 * @since 0.1.0
 * @category other errors
 */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>()("InvalidRequestError", {
  operation: Schema.String,
  description: Schema.String
}) {
  override get message() {
    return `invalid request to ${this.operation}: ${this.description}`
  }
}

/**
 * Every error this library produces.
 *
 * @since 0.1.0
 * @category models
 */
export type LettaError =
  | BadRequestError
  | AuthenticationError
  | PaymentRequiredError
  | PermissionDeniedError
  | NotFoundError
  | ConflictError
  | GoneError
  | UnprocessableEntityError
  | RateLimitError
  | ServerError
  | UnexpectedStatusError
  | TransportError
  | TimeoutError
  | StreamError
  | StreamCancelledError
  | StreamTruncatedError
  | RunFailedError
  | RunCancelledError
  | RunNotStreamableError
  | ApprovalRequiredError
  | ToolRoundLimitError
  | DecodeError
  | InvalidRequestError

const errorClasses = [
  BadRequestError,
  AuthenticationError,
  PaymentRequiredError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  GoneError,
  UnprocessableEntityError,
  RateLimitError,
  ServerError,
  UnexpectedStatusError,
  TransportError,
  TimeoutError,
  StreamError,
  StreamCancelledError,
  StreamTruncatedError,
  RunFailedError,
  RunCancelledError,
  RunNotStreamableError,
  ApprovalRequiredError,
  ToolRoundLimitError,
  DecodeError,
  InvalidRequestError
] as const

/**
 * The union as a Schema, e.g. to send errors across an RPC boundary.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LettaError: Schema.Schema<LettaError, Schema.Schema.Encoded<typeof errorClasses[number]>> = Schema.Union(
  ...errorClasses
)

/**
 * The HTTP status errors, which share their fields.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpError = Extract<LettaError, { readonly status: number }>

/**
 * Whether a value is any of this library's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isLettaError = (u: unknown): u is LettaError => errorClasses.some((errorClass) => u instanceof errorClass)
