/**
 * A run's `callback_url`, as the tail of `RunManager.update_run_by_id_async`
 * sends it (run_manager.py:450-511): after the run's first terminal update the
 * server POSTs `{run_id, status, completed_at, metadata}` where `metadata` is
 * the run's merged metadata plus `result`, a `LettaResponse` built from the
 * run's messages, its stop reason and its usage. One attempt, a 5 s timeout,
 * no auth header; the outcome lands in the run's `callback_*` fields, and a
 * failure never changes the run itself.
 *
 * Unlike the real server this one only sends to loopback hosts: for any other
 * URL it records why nothing was sent.
 */
import { Clock, Duration, Effect } from "effect"
import * as LoopbackPost from "./loopbackPost.js"
import * as Runs from "./runs.js"
import type { RunRecord, Store } from "./store.js"
import * as Wire from "./wire.js"

/** httpx's `timeout=5.0`. */
export const timeout = Duration.seconds(5)

/** `get_run_messages` with its defaults (oldest first, limit 100), filtered by the run's return types. */
const runMessages = (store: Store, run: RunRecord): ReadonlyArray<Wire.WireObject> => {
  const page = store.listMessages({ runId: run.id }, { limit: 100, ascending: true })
  return Array.isArray(page)
    ? Wire.lettaMessagesFrom(page, { reverse: false, include: run.requestConfig.include_return_message_types })
    : []
}

/**
 * Sends the callback of a run that has just reached its first terminal status
 * (a no-op without `callback_url`) and records the outcome on the run. The
 * caller waits for it, as the real request or background task awaits it.
 */
export const dispatch = (store: Store, run: RunRecord): Effect.Effect<void> =>
  Effect.gen(function*() {
    const url = run.callbackUrl
    // get_run_messages raises for a vanished agent, and LettaStopReason for a missing stop reason
    // (its fallback names an enum member that does not exist): the exception escapes before sending.
    if (url === null || !store.agents.has(run.agentId) || run.stopReason === null) return
    const result = {
      messages: runMessages(store, run),
      stop_reason: Wire.stopReason(run.stopReason),
      usage: Wire.lettaUsage(Runs.usage(store, run.id)),
      logprobs: null,
      turns: null
    }
    // `completed_at` here is the time of sending, not the run's own `completed_at`.
    const now = yield* Clock.currentTimeMillis
    const payload = {
      run_id: run.id,
      status: run.status,
      completed_at: Wire.naiveDateTime(now),
      metadata: { ...run.metadata, result }
    }
    // httpx 0.28 encodes `json=` compactly without ASCII escapes, as `stringify` does.
    const outcome = yield* LoopbackPost.post(url, Wire.stringify(payload), timeout)
    run.callbackSentAt = now
    run.callbackStatusCode = outcome._tag === "Answered" ? outcome.status : null
    run.callbackError = outcome._tag === "Answered"
      ? null
      : `Failed to dispatch callback for run ${run.id} to ${url}: ${
        outcome._tag === "Failed" ? outcome.error : outcome.reason
      }`
  })
