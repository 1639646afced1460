/**
 * The body the server POSTs to an async run's `callback_url` (`run_manager.py`
 * `_dispatch_callback_async`): `run_id`, `status`, a naive `completed_at`, and the run's
 * metadata with `result`, the `LettaResponse` dumped by pydantic, also for failed and
 * cancelled runs (whose `metadata.error` says why).
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import { Runs } from "effect-letta"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const runId = "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"

/** A callback as `update_run_by_id_async` builds it for a run that ended with `stopReason`. */
const callback = (status: string, stopReason: string, metadata: Record<string, unknown> = {}) => ({
  run_id: runId,
  status,
  completed_at: "2026-08-01T12:00:05.123456",
  metadata: {
    run_type: "send_message_async",
    lettuce: null,
    ...metadata,
    result: {
      messages: status === "completed"
        ? [{
          id: "message-1",
          date: "2026-08-01T12:00:03+00:00",
          name: null,
          message_type: "assistant_message",
          otid: "otid-1",
          sender_id: null,
          step_id: "step-1",
          is_err: null,
          seq_id: null,
          run_id: runId,
          content: "done"
        }]
        : [],
      stop_reason: { message_type: "stop_reason", stop_reason: stopReason },
      usage: {
        message_type: "usage_statistics",
        completion_tokens: 0,
        prompt_tokens: 0,
        total_tokens: 0,
        step_count: 0,
        run_ids: null,
        cached_input_tokens: null,
        cache_write_tokens: null,
        reasoning_tokens: null,
        context_tokens: null
      },
      logprobs: null,
      turns: null
    }
  }
})

describe("Runs.decodeCallback", () => {
  it.effect("a completed run's callback, as text: the reply, and the naive completion time read as UTC", () =>
    Effect.gen(function*() {
      const decoded = yield* Runs.decodeCallback(JSON.stringify(callback("completed", "end_turn")))
      expect([decoded.run_id, decoded.status, decoded.metadata?.result?.stop_reason.stop_reason]).toEqual([
        runId,
        "completed",
        "end_turn"
      ])
      expect(DateTime.formatIso(decoded.completed_at!)).toBe("2026-08-01T12:00:05.123Z")
      const reply = decoded.metadata?.result?.messages[0]
      expect(reply?.message_type === "assistant_message" && reply.content).toBe("done")
      expect(decoded.metadata?.run_type).toBe("send_message_async")
    }))

  it.effect("failed and cancelled runs: the stop reason and metadata.error say why", () =>
    Effect.gen(function*() {
      const failed = yield* Runs.decodeCallback(callback("failed", "error", { error: "Connection refused" }))
      expect([failed.status, failed.metadata?.result?.stop_reason.stop_reason, failed.metadata?.error]).toEqual([
        "failed",
        "error",
        "Connection refused"
      ])
      // A stream's failure is recorded as {"error": LettaErrorMessage}; it stays as sent.
      const streamed = yield* Runs.decodeCallback(callback("failed", "llm_api_error", {
        error: { error: { message_type: "error_message", run_id: runId, error_type: "llm_error", message: "x" } }
      }))
      expect(streamed.metadata?.error).toMatchObject({ error: { error_type: "llm_error" } })
      const cancelled = yield* Runs.decodeCallback(callback("cancelled", "cancelled"))
      expect([cancelled.status, cancelled.metadata?.result?.stop_reason.stop_reason]).toEqual(["cancelled", "cancelled"])
    }))

  it.effect("a body that is not a callback is a DecodeError naming what is wrong", () =>
    Effect.gen(function*() {
      const notJson = yield* Runs.decodeCallback("{nope").pipe(Effect.flip)
      expect([notJson._tag, notJson.excerpt]).toEqual(["DecodeError", "{nope"])
      expect(notJson.description).toContain("not JSON")
      const wrong = yield* Runs.decodeCallback({ status: "completed" }).pipe(Effect.flip)
      expect(wrong._tag).toBe("DecodeError")
      expect(wrong.description).toContain("run_id")
    }))

  const examples = fileURLToPath(new URL("../../../shared/letta/examples/synth_http_bodies.md", import.meta.url))
  it.effect.skipIf(!existsSync(examples))("the synthesized example callback decodes", () =>
    Effect.gen(function*() {
      const text = readFileSync(examples, "utf8")
      const block = /## callback_url[^\n]*\n```json\n([\s\S]*?)```/.exec(text)![1]
      const decoded = yield* Runs.decodeCallback(block)
      expect([decoded.run_id, decoded.metadata?.result?.usage.total_tokens]).toEqual([runId, 5207])
      expect(DateTime.toEpochMillis(decoded.completed_at!)).toBe(Date.UTC(2026, 7, 1, 12, 0, 5, 123))
    }))
})
