/**
 * The agent side of a foreground stream: what `LettaAgentV3.stream` yields for
 * the scripted turn, wrapped the way `error_aware_stream` wraps it, including
 * the run's terminal update (and the lock release that comes with it).
 *
 * - Step mode persists the step, then yields its reasoning and assistant
 *   messages; token mode yields the deltas first and persists afterwards.
 * - `/slow <ms>` waits before each event; `/end <variant>` picks the ending of
 *   PROTOCOL §1.4 / §4, and the run ends the way the real server records it.
 * - A provider error or crash before any output is `stop_reason`,
 *   `event: error`, `[DONE]`, and the run fails.
 */
import { Clock, Duration, Effect } from "effect"
import type * as Directives from "./directives.js"
import * as Ids from "./ids.js"
import type { Redis } from "./redis.js"
import * as Runs from "./runs.js"
import * as Sse from "./sse.js"
import type { SseEvent, StopReason } from "./sse.js"
import type { RunRecord, RunStatus, Store } from "./store.js"
import * as Tokens from "./tokens.js"
import * as Turn from "./turn.js"
import type { SendRequest } from "./validate.js"
import * as Wire from "./wire.js"

export interface AgentStream {
  readonly store: Store
  readonly redis: Redis
  readonly thread: Turn.Thread
  readonly run: RunRecord
  readonly request: SendRequest
  readonly plan: Turn.Plan
  /** `stream_tokens` and a model the real server can token-stream */
  readonly tokens: boolean
  /** the lock to release with the terminal update (conversation or agent id) */
  readonly lockKey: string | null
  /**
   * A background run: the stream processor closes the agent stream at the
   * first terminal chunk, so it (not `error_aware_stream`) makes the run's
   * terminal update and frees the lock, from the chunks it stored.
   */
  readonly background: boolean
}

/**
 * `_is_token_streaming_compatible`, for the model in effect: a conversation's
 * model handle overrides the agent's (its provider names the endpoint type).
 */
export const canStreamTokens = (thread: Turn.Thread): boolean => {
  const { agent, conversation } = thread
  const endpointType = conversation?.model ? conversation.model.split("/")[0]! : agent.llm.endpointType
  return ["anthropic", "openai", "bedrock", "deepseek", "zai", "zai_coding", "chatgpt_oauth", "minimax", "openrouter"]
    .includes(endpointType) ||
    (agent.agentType === "letta_v1_agent" && ["google_ai", "google_vertex"].includes(endpointType))
}

const streamIncomplete = (runId: string) => ({
  error: {
    run_id: runId,
    error_type: "stream_incomplete",
    message: "Stream ended unexpectedly without a terminal event."
  }
})

type Outcome = { readonly status: RunStatus; readonly stopReason: string; readonly error?: unknown }

/** The run's terminal update (the scripted turn's first token comes with its end). */
export const record = (ctx: AgentStream, outcome: Outcome, now: number): void => {
  Runs.update(ctx.store, ctx.run, { ...outcome, now })
  if (outcome.status === "completed") ctx.run.ttftNs = ctx.run.totalDurationNs
}

/** `update_run_by_id_async(conversation_id=lock_key, ...)`: a terminal update also frees the lock. */
const finish = (ctx: AgentStream, outcome: Outcome) =>
  ctx.background ? Effect.void : Effect.map(Clock.currentTimeMillis, (now) => {
    record(ctx, outcome, now)
    if (ctx.lockKey !== null) ctx.redis.releaseLock(ctx.lockKey)
  })

/** What `cancel_run` does when the scripted ending says someone cancelled the run meanwhile. */
const cancelledMeanwhile = (ctx: AgentStream) =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    Runs.cancel(ctx.store, ctx.redis, ctx.run.id, now)
  })

/**
 * What the agent side's `finally` records when a wrapper stopped it: nothing
 * after a cancellation (the cancel already did), a failed run after the
 * keepalive wrapper gave up on a silent stream.
 */
export const onStopped = (ctx: AgentStream) => (reason: StopReason): Effect.Effect<void> =>
  reason === "cancelled"
    ? Effect.void
    : finish(ctx, { status: "failed", stopReason: "error", error: streamIncomplete(ctx.run.id) })

const midStreamDetail = (variant: Directives.EndVariant) =>
  `INTERNAL_SERVER_ERROR: Scripted mid-stream failure from the test server's model (directive /end ${variant})`

/** The agent side of the stream: emits its events, then records how the run ended. */
export const produce = (ctx: AgentStream) => (emit: (event: SseEvent) => Effect.Effect<void>): Effect.Effect<void> =>
  Effect.gen(function*() {
    const { plan, request, run } = ctx
    const slow = plan.directives.slowMillis
    const pace = slow > 0 ? Effect.sleep(Duration.millis(slow)) : Effect.void
    /** one event, built when it is due */
    const send = (make: (now: number) => SseEvent) =>
      Effect.gen(function*() {
        yield* pace
        yield* emit(make(yield* Clock.currentTimeMillis))
      })
    const sendAll = (events: ReadonlyArray<SseEvent>) => Effect.forEach(events, (event) => send(() => event))

    if (plan._tag === "Failure") {
      // An exception before any agent output: error_aware_stream's `except` clauses.
      const failure = plan.failure
      if (plan.inStep) Turn.recordFailure(ctx.store, ctx.thread, run, failure)
      const [reason, errorType, message] = failure._tag === "LlmError"
        ? [failure.spec.streamStopReason, failure.spec.streamErrorType, failure.spec.streamMessage]
        : [
          "error",
          "internal_error",
          failure.letta ? failure.detail : "An unknown error occurred with the LLM streaming request."
        ]
      const error = Wire.errorMessage(run.id, errorType, message, Turn.errorText(failure))
      yield* sendAll([Sse.data(Wire.stopReason(reason)), Sse.errorEvent(error), Sse.done])
      return yield* finish(ctx, { status: "failed", stopReason: reason, error: { error } })
    }

    const tail = (usage: Wire.Usage, reason: string) => [
      Sse.data(Wire.stopReason(reason)),
      Sse.data(Wire.lettaUsage(usage))
    ]

    if (plan._tag === "Stopped") {
      // The answer held nothing to act on: the loop ends before its first step.
      yield* sendAll([...tail(Turn.noUsage, plan.stopReason), Sse.done])
      return yield* finish(ctx, { status: "completed", stopReason: plan.stopReason })
    }

    const include = request.include_return_message_types
    const visible = (type: string) => include == null || include.includes(type)
    const { outcome } = plan
    const parts: ReadonlyArray<Tokens.ResponsePart> = outcome._tag === "Reply"
      ? [{ _tag: "Reasoning", text: outcome.reasoning }, { _tag: "Text", text: outcome.reply }]
      : [
        { _tag: "Reasoning", text: outcome.reasoning },
        ...outcome.calls.map((c): Tokens.ResponsePart => ({
          _tag: "ApprovalCall",
          toolCallId: c.id,
          name: c.name,
          arguments: c.arguments
        }))
      ]
    const stopReason = outcome._tag === "ToolCalls" ? "requires_approval" : "end_turn"

    /** Complete messages, paced like every event after the first of a burst. */
    const emitAll = (messages: ReadonlyArray<Wire.WireObject>) =>
      Effect.forEach(messages, (message, i) => Effect.zipRight(i > 0 ? pace : Effect.void, emit(Sse.data(message))))

    /**
     * The answer's step, persisted before it shows its tool message; token mode
     * only streams tool returns of a step whose calls the server ran itself.
     */
    const answerStep = Effect.gen(function*() {
      const answer = plan.answer
      if (answer === undefined) return
      yield* pace
      const returned = Turn.commitAnswer(ctx.store, ctx.thread, run, answer, request, yield* Clock.currentTimeMillis)
      if (!ctx.tokens || answer.executed) yield* emitAll(returned)
    })

    /** The turn's output: persisted where the real agent loop persists it; yields the turn's usage. */
    const output = Effect.gen(function*() {
      yield* answerStep
      if (ctx.tokens) {
        for (const delta of Tokens.deltas({ id: plan.assistantId, stepId: plan.stepId, runId: run.id }, parts)) {
          // `include_return_message_types` filters the deltas as they leave the adapter.
          if (visible(delta.messageType)) yield* send((now) => Sse.data(delta.at(now)))
        }
        const now = yield* Clock.currentTimeMillis
        return Turn.commitStep(ctx.store, ctx.thread, run, plan, request, now).usage
      }
      yield* pace
      const committed = Turn.commitStep(ctx.store, ctx.thread, run, plan, request, yield* Clock.currentTimeMillis)
      yield* emitAll(committed.messages)
      return committed.usage
    })

    switch (plan.directives.end) {
      case "normal": {
        const usage = yield* output
        yield* sendAll([...tail(usage, stopReason), Sse.done])
        return yield* finish(ctx, { status: "completed", stopReason })
      }
      case "error-after-output": {
        // LettaAgentV3's mid-stream handler: its own stop reason and error event, no [DONE];
        // error_aware_stream saw the error event and records a completed run.
        yield* output
        const error = Wire.errorMessage(
          run.id,
          "internal_error",
          "An error occurred during agent execution.",
          midStreamDetail("error-after-output")
        )
        yield* sendAll([Sse.data(Wire.stopReason("llm_api_error")), Sse.errorEvent(error)])
        return yield* finish(ctx, { status: "completed", stopReason: "llm_api_error" })
      }
      case "error-plain": {
        // An exception above error_aware_stream: the response wrapper writes its own error event and
        // the abandoned agent stream's `finally` fails the run as incomplete.
        yield* output
        yield* send(() => Sse.plainErrorEvent(midStreamDetail("error-plain")))
        return yield* finish(ctx, { status: "failed", stopReason: "error", error: streamIncomplete(run.id) })
      }
      case "cancelled": {
        // The cancel lands once the output is out (the wrapper reads one chunk ahead, so an earlier
        // cancel could catch the last message instead).
        yield* output
        yield* pace
        yield* cancelledMeanwhile(ctx)
        return yield* emit(Sse.wrapperCancelled)
      }
      case "cancelled-step": {
        // `_check_run_cancellation` at a step boundary: the normal tail with `cancelled`.
        const usage = yield* output
        yield* sendAll([...tail(usage, "cancelled"), Sse.done])
        return yield* finish(ctx, { status: "cancelled", stopReason: "cancelled" })
      }
      case "cancelled-event": {
        yield* output
        yield* pace
        yield* cancelledMeanwhile(ctx)
        return yield* emit(Sse.cancelledEvent)
      }
      case "retry": {
        // A first attempt whose provider stream breaks after some reasoning; the interface yields
        // `stop_reason: error` and the agent retries with a fresh response (never persisted: new id).
        const attempt = { id: Ids.make("message"), stepId: plan.stepId, runId: run.id }
        const first = Tokens.deltas(attempt, [parts[0]!], { split: ctx.tokens })
        for (const delta of first) {
          if (visible(delta.messageType)) yield* send((now) => Sse.data(delta.at(now)))
        }
        if (!ctx.tokens || visible("stop_reason")) yield* send(() => Sse.data(Wire.stopReason("error")))
        const usage = yield* output
        yield* sendAll([...tail(usage, stopReason), Sse.done])
        return yield* finish(ctx, { status: "completed", stopReason })
      }
      case "no-done": {
        const usage = yield* output
        yield* sendAll(tail(usage, stopReason))
        return yield* finish(ctx, { status: "completed", stopReason })
      }
      case "pings-only":
        // The model never answers; only the keepalive wrapper's pings flow.
        return yield* Effect.never
    }
  })
