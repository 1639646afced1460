/**
 * Error responses in the shapes the real server's exception handlers produce
 * (`letta/server/rest_api/app.py` plus FastAPI's defaults).
 *
 * Handlers fail with `HttpError` in the error channel; the router renders it.
 * Nothing here throws.
 */
import { Data } from "effect"
import * as Ids from "./ids.js"
import { PyTuple, repr } from "./pyrepr.js"

export class HttpError extends Data.TaggedError("HttpError")<{
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {}

/** `{"detail": ...}`: HTTPException and the `error_handler_with_code` family. */
export const detail = (status: number, message: unknown, headers?: Readonly<Record<string, string>>): HttpError =>
  new HttpError({ status, body: { detail: message }, headers })

/** A pydantic / FastAPI validation error entry; rendered with Python `repr`. */
export interface PyError {
  readonly type: string
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly input: unknown
  readonly ctx?: Readonly<Record<string, unknown>> | undefined
}

const errorDict = (e: PyError): Record<string, unknown> => {
  const out: Record<string, unknown> = { type: e.type, loc: new PyTuple(e.loc), msg: e.msg, input: e.input }
  if (e.ctx !== undefined) out["ctx"] = e.ctx
  return out
}

/**
 * `custom_request_validation_handler`: `detail` is the Python repr of the error
 * list, path-id errors are rewritten to `string_pattern_mismatch` and listed
 * with an example id under `examples`.
 */
export const validation = (errors: ReadonlyArray<PyError>): HttpError => {
  const examples = new Set<string>()
  const rewritten = errors.map((e) => {
    const [where, name] = e.loc
    if (
      e.loc.length === 2 && where === "path" && typeof name === "string" && name.endsWith("_id") &&
      Ids.primitives.has(name.slice(0, -3)) &&
      (e.type === "string_pattern_mismatch" || e.type === "string_too_short" || e.type === "string_too_long")
    ) {
      const primitive = name.slice(0, -3)
      examples.add(Ids.example(primitive))
      return {
        ...e,
        type: "string_pattern_mismatch",
        msg: `String should match pattern '${primitive}-{uuid4}'`,
        ctx: { pattern: Ids.patternSource(primitive) }
      }
    }
    return e
  })
  const body: Record<string, unknown> = { trace_id: "", detail: repr(rewritten.map(errorDict)) }
  if (examples.size > 0) body["examples"] = Array.from(examples).sort()
  return new HttpError({ status: 422, body })
}

/** A path string checked like FastAPI's `Path(pattern=..., min_length=..., max_length=...)`: lengths first. */
export const pathStringError = (
  param: string,
  value: string,
  constraints: { readonly pattern: string; readonly minLength: number; readonly maxLength: number }
): PyError | undefined => {
  if (value.length < constraints.minLength) {
    return {
      type: "string_too_short",
      loc: ["path", param],
      msg: `String should have at least ${constraints.minLength} character${constraints.minLength === 1 ? "" : "s"}`,
      input: value,
      ctx: { min_length: constraints.minLength }
    }
  }
  if (value.length > constraints.maxLength) {
    return {
      type: "string_too_long",
      loc: ["path", param],
      msg: `String should have at most ${constraints.maxLength} characters`,
      input: value,
      ctx: { max_length: constraints.maxLength }
    }
  }
  if (!new RegExp(constraints.pattern).test(value)) {
    return {
      type: "string_pattern_mismatch",
      loc: ["path", param],
      msg: `String should match pattern '${constraints.pattern}'`,
      input: value,
      ctx: { pattern: constraints.pattern }
    }
  }
  return undefined
}

/** A path id checked like the server's `PATH_VALIDATORS[prefix]`. */
export const pathIdError = (param: string, prefix: string, value: string): PyError | undefined =>
  pathStringError(param, value, {
    pattern: Ids.patternSource(prefix),
    minLength: Ids.idLength(prefix),
    maxLength: Ids.idLength(prefix)
  })

/** `ConversationIdOrDefault`: a conversation id, `default`, or (deprecated) an agent id. */
export const conversationOrDefault = {
  pattern: `^(default|${Ids.patternSource("conv").slice(1, -1)}|${Ids.patternSource("agent").slice(1, -1)})$`,
  minLength: 1,
  maxLength: Ids.idLength("agent")
}

// ---------------------------------------------------------------------------
// Canned errors of the real server
// ---------------------------------------------------------------------------

export const notFoundRoute = (): HttpError => detail(404, "Not Found")

export const methodNotAllowed = (allow: ReadonlyArray<string>): HttpError =>
  detail(405, "Method Not Allowed", { allow: allow.join(", ") })

export const unauthorized = (): HttpError => detail(401, "Unauthorized")

export const unknownError = (): HttpError => detail(500, "An unknown error occurred")

/** `agent_manager.get_agent_by_id_async` → `NoResultFound`. */
export const agentNotFound = (agentId: string): HttpError => detail(404, `Agent with ID ${agentId} not found`)

/** `validate_agent_exists_async` → `LettaAgentNotFoundError`, whose handler hard-codes the text. */
export const agentNotFoundShort = (): HttpError => detail(404, "Agent not found")

/** `raise_on_invalid_id` → `LettaInvalidArgumentError` (400). */
export const invalidId = (kind: string, prefix: string, value: string): HttpError =>
  detail(400, `INVALID_ARGUMENT: Invalid ${kind} ID format: ${value}. Expected format: '${prefix}-<uuid4>'`)

/**
 * `SqlalchemyBase.read_async` → `NoResultFound`, whose text lists the query
 * conditions (the actor is the default user of a self-hosted server).
 */
export const ormNotFound = (
  className: string,
  id: string,
  serverStartedAt: number,
  options?: { readonly checkIsDeleted?: boolean | undefined }
): HttpError =>
  detail(
    404,
    `${className} not found with id='${repr([id])}', access level in ['read'] for actor='${
      defaultActor(serverStartedAt)
    }'${options?.checkIsDeleted === true ? ", is_deleted=False" : ""}`
  )

export const runNotFound = (runId: string, serverStartedAt: number): HttpError =>
  ormNotFound("Run", runId, serverStartedAt)

// `str(User)` of the default user, whose timestamps are set when the server first boots.
const defaultActor = (createdAt: number) => {
  const at = pyDatetime(createdAt)
  return `id='${Ids.defaultUserId}' organization_id='${Ids.defaultOrgId}' name='default_user' created_at=${at} updated_at=${at} is_deleted=False`
}

// `repr(datetime)` of an aware UTC datetime: trailing zero second/microsecond are left out.
const pyDatetime = (ms: number) => {
  const d = new Date(ms)
  const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
  const micros = (((ms % 1000) + 1000) % 1000) * 1000
  if (d.getUTCSeconds() !== 0 || micros !== 0) parts.push(d.getUTCSeconds())
  if (micros !== 0) parts.push(micros)
  return `datetime.datetime(${parts.join(", ")}, tzinfo=datetime.timezone.utc)`
}

/** `message_manager.list_messages` with an unknown cursor. */
export const messageCursorNotFound = (cursor: string, agentId: string | null): HttpError =>
  detail(404, `No message found with id '${cursor}' for agent '${agentId ?? "None"}'.`)

/** `StepModel.list_async` with an unknown cursor. */
export const stepCursorNotFound = (cursor: string): HttpError => detail(404, `No Step found with id ${cursor}`)

/** Streaming with a client the server does not consider a 1.0 SDK. */
export const streamingGate = (): HttpError => detail(422, "streaming=true is only supported for SDK v1.0+ clients.")

/** The FastAPI default for a request body it could not read at all. */
export const unparseableBody = (): HttpError => detail(400, "There was an error parsing the body")

export const bodyTooLarge = (limit: number): HttpError =>
  detail(413, `Request body exceeds the test server's limit of ${limit} bytes`)

/** `{"error": {...}}` envelope of the LLM exception handlers (non-streaming requests only). */
export const llmError = (status: number, type: string, message: string, errorDetail: string): HttpError =>
  new HttpError({ status, body: { error: { type, message, detail: errorDetail } } })

/**
 * `ConversationBusyError` as `_conversation_busy_handler` renders it: the lock
 * holder's run id, when Redis maps its request token to one, in the text and
 * as a top-level `run_id`.
 */
export const conversationBusy = (runId: string | null): HttpError =>
  new HttpError({
    status: 409,
    body: runId === null
      ? {
        detail: "CONFLICT: Cannot send a new message: Another request is currently being processed for this " +
          "conversation. Please wait for the current request to complete."
      }
      : {
        detail: `CONFLICT: Cannot send a new message: Another request (run_id=${runId}) is currently being processed ` +
          "for this conversation. Please wait for it to complete.",
        run_id: runId
      }
  })

/**
 * `PendingApprovalError`: the agents endpoint's non-streaming send re-raises it
 * as an HTTPException with an object `detail`; elsewhere the generic 409
 * handler renders its `str()`.
 */
export const pendingApproval = (message: string, pendingRequestId: string | null, structured: boolean): HttpError =>
  detail(409, structured ? { code: "PENDING_APPROVAL", message, pending_request_id: pendingRequestId } : message)

/** `NoActiveRunsToCancelError` (409). */
export const noActiveRuns = (scope: { readonly agentId: string } | { readonly conversationId: string }): HttpError =>
  detail(
    409,
    "agentId" in scope
      ? `CONFLICT: No active runs to cancel for agent ${scope.agentId}`
      : `CONFLICT: No active runs to cancel for conversation ${scope.conversationId}`
  )

// ---------------------------------------------------------------------------
// Background streams
// ---------------------------------------------------------------------------

/** A resume of a run that was not streamed in background mode (`LettaInvalidArgumentError`). */
export const notBackground = (): HttpError =>
  detail(400, "INVALID_ARGUMENT: Run was not created in background mode, so it cannot be retrieved.")

/** A resume of a run created more than three hours ago (`LettaExpiredError`). */
export const streamExpired = (): HttpError =>
  detail(410, "EXPIRED: Run was created more than 3 hours ago, and is now expired.")

/** `POST /conversations/{id}/stream` found no created or running run to attach to. */
export const noActiveRunToResume = (): HttpError =>
  detail(400, "INVALID_ARGUMENT: No active runs found for this conversation.")

/** `POST /conversations/{id}/stream` with an `otid` that no run is mapped to. */
export const noRunForOtid = (otid: string): HttpError =>
  detail(404, `No run found for otid=${otid}. The run may have expired or never existed.`)
