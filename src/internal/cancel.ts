/**
 * Asking the server to cancel runs: the requests behind `agents.messages.cancel` and
 * `conversations.cancel`, and the best-effort cancel that `cancelOnInterrupt` makes when a
 * consumer goes away.
 */
import { Effect } from "effect"
import type * as LettaError from "../LettaError.js"
import { CancelRunsResponse } from "../schema/responses.js"
import * as Retry from "../Retry.js"
import * as Streaming from "../Streaming.js"
import { path } from "./path.js"
import type { Transport } from "./transport.js"

/** `POST /v1/agents/{agent_id}/messages/cancel` with an already-encoded body. */
export const cancelAgentRuns = (
  transport: Transport,
  operation: string,
  agentId: string,
  body: { readonly run_ids?: ReadonlyArray<string> | null | undefined }
): Effect.Effect<CancelRunsResponse, LettaError.LettaError> =>
  transport.json({
    operation,
    method: "POST",
    path: path`/v1/agents/${agentId}/messages/cancel`,
    body,
    idempotent: true,
    response: CancelRunsResponse
  })

/** `POST /v1/conversations/{conversation_id}/cancel` (`agent_id` for `default`). */
export const cancelConversationRuns = (
  transport: Transport,
  operation: string,
  conversationId: string,
  query: { readonly agent_id?: string | undefined }
): Effect.Effect<CancelRunsResponse, LettaError.LettaError> =>
  transport.json({
    operation,
    method: "POST",
    path: path`/v1/conversations/${conversationId}/cancel`,
    query,
    idempotent: true,
    response: CancelRunsResponse
  })

/**
 * Runs `cancel` for `cancelOnInterrupt`: bounded by `Streaming.cancelTimeout`, and a failure
 * is logged, never raised, since the caller has already moved on. It is usually run by a
 * finalizer of a fiber being interrupted, which is uninterruptible: only an interruptible
 * request can be abandoned by the time bound (the bound forks it, so the pending
 * interruption does not reach it). A 409 "no active runs to cancel" is the run having
 * ended meanwhile (the consumer stopped between its last events): nothing to report.
 */
export const cancelQuietly = (
  runId: string,
  cancel: Effect.Effect<unknown, LettaError.LettaError>
): Effect.Effect<void> =>
  Effect.interruptible(cancel).pipe(
    // One attempt: the time bound is for the whole cancel, and the caller is gone.
    Retry.withPolicy(false),
    Effect.timeout(Streaming.cancelTimeout),
    Effect.asVoid,
    Effect.catchIf((error) => error._tag === "ConflictError" && error.reason === "no_active_runs", () => Effect.void),
    Effect.catchAllCause((cause) =>
      Effect.logWarning(`could not cancel run ${runId} after its consumer stopped`, cause)
    )
  )
