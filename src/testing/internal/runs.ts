/**
 * Run lifecycle, following `RunManager.create_run`, `update_run_by_id_async`
 * and `cancel_run`.
 */
import * as Approvals from "./approvals.js"
import * as Ids from "./ids.js"
import type { Redis } from "./redis.js"
import type { AgentRecord, RequestConfig, RunRecord, RunStatus, Store } from "./store.js"
import type { Usage } from "./wire.js"

export type RunType = "send_message" | "send_message_streaming" | "send_message_async" | "send_conversation_message"

export const requestConfig = (request: {
  readonly use_assistant_message: boolean
  readonly assistant_message_tool_name: string
  readonly assistant_message_tool_kwarg: string
  readonly include_return_message_types: ReadonlyArray<string> | null
}): RequestConfig => ({
  use_assistant_message: request.use_assistant_message,
  assistant_message_tool_name: request.assistant_message_tool_name,
  assistant_message_tool_kwarg: request.assistant_message_tool_kwarg,
  include_return_message_types: request.include_return_message_types
})

export const create = (
  store: Store,
  options: {
    readonly agent: AgentRecord
    readonly runType: RunType
    /** set by the conversations streaming path only (its non-streaming path leaves it out) */
    readonly conversationId?: string | null | undefined
    readonly background: boolean
    readonly requestConfig: RequestConfig
    readonly callbackUrl: string | null
    readonly now: number
  }
): RunRecord => {
  // Only the async endpoint writes `lettuce` (None without the cloud header).
  const metadata: Record<string, unknown> = options.runType === "send_message_async"
    ? { run_type: options.runType, lettuce: null }
    : { run_type: options.runType }
  const run = store.addRun({
    id: Ids.make("run"),
    agentId: options.agent.id,
    conversationId: options.conversationId ?? null,
    createdAt: options.now,
    background: options.background,
    requestConfig: options.requestConfig,
    callbackUrl: options.callbackUrl,
    status: "created",
    completedAt: null,
    stopReason: null,
    metadata,
    ttftNs: null,
    totalDurationNs: null,
    callbackSentAt: null,
    callbackStatusCode: null,
    callbackError: null
  })
  // Synchronous and streaming sends remember their run in Redis for `/messages/cancel`; async ones do not.
  if (options.runType !== "send_message_async") options.agent.lastSendRunId = run.id
  return run
}

/** `StopReasonType.run_status`; a value it does not know maps to `completed`. */
export const statusOf = (stopReason: string): RunStatus => {
  switch (stopReason) {
    case "end_turn":
    case "max_steps":
    case "tool_rule":
    case "requires_approval":
      return "completed"
    case "cancelled":
      return "cancelled"
    case "error":
    case "invalid_tool_call":
    case "no_tool_call":
    case "invalid_llm_response":
    case "llm_api_error":
    case "max_tokens_exceeded":
    case "context_window_overflow_in_system_prompt":
    case "insufficient_credits":
      return "failed"
    default:
      return "completed"
  }
}

const terminal = new Set<RunStatus>(["completed", "failed", "cancelled"])

export const isTerminal = (status: RunStatus): boolean => terminal.has(status)

/**
 * `update_run_by_id_async`: unset fields keep their value, metadata is merged,
 * the first terminal update stamps `completed_at`. Returns whether this was
 * that first terminal update, the one that owes the run's callback.
 */
export const update = (
  store: Store,
  run: RunRecord,
  patch: {
    readonly status: RunStatus
    readonly stopReason?: string | null | undefined
    readonly error?: unknown
    readonly now: number
  }
): boolean => {
  const firstTerminal = isTerminal(patch.status) && run.completedAt === null
  run.status = patch.status
  if (patch.stopReason != null) run.stopReason = patch.stopReason
  if (patch.error !== undefined) run.metadata = { ...run.metadata, error: patch.error }
  if (firstTerminal) {
    run.completedAt = patch.now
    run.totalDurationNs = (patch.now - run.createdAt) * 1_000_000
  }
  const agent = store.agents.get(run.agentId)
  if (agent !== undefined && isTerminal(patch.status) && patch.stopReason != null) {
    agent.lastStopReason = patch.stopReason
    agent.lastRunCompletion = patch.now
    agent.lastRunDurationMs = patch.now - run.createdAt
    agent.updatedAt = patch.now
  }
  return firstTerminal
}

/**
 * `cancel_run`: a run that already has a stop reason (other than
 * `requires_approval`) is left alone but still reported as cancelled; an
 * agent waiting for approval gets its pending calls denied; a run id
 * that does not resolve is reported as failed. The update passes the run's own
 * `conversation_id` as the lock to release, so a conversation's lock is freed
 * while an agent-direct run's lock (keyed by the agent) is not.
 */
export const cancel = (store: Store, redis: Redis, runId: string, now: number): "cancelled" | "failed" | "noop" => {
  if (!Ids.isValid("run", runId)) return "failed"
  const run = store.runs.get(runId)
  if (run === undefined || !store.agents.has(run.agentId)) return "failed"
  if (run.stopReason !== null && run.stopReason !== "requires_approval") return "noop"
  update(store, run, { status: "cancelled", stopReason: "cancelled", now })
  if (run.conversationId !== null) redis.releaseLock(run.conversationId)
  Approvals.denyOnCancel(store, run.agentId, run.id, now)
  return "cancelled"
}

/** `get_run_usage`: the run's steps summed, failed ones included; the optional counters stay null. */
export const usage = (store: Store, runId: string): Usage => {
  const steps = store.runSteps(runId)
  return {
    promptTokens: steps.reduce((n, s) => n + s.promptTokens, 0),
    completionTokens: steps.reduce((n, s) => n + s.completionTokens, 0),
    totalTokens: steps.reduce((n, s) => n + s.totalTokens, 0),
    stepCount: steps.length,
    contextTokens: null
  }
}
