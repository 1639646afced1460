/**
 * The two ways a send is answered, shared by the agents and the conversations
 * endpoints: `stream` (`StreamingService.create_agent_stream`, foreground SSE)
 * and `step` (a JSON `LettaResponse`).
 */
import { Clock, Effect } from "effect"
import * as AgentStream from "./agentStream.js"
import * as Errors from "./errors.js"
import * as Redis from "./redis.js"
import type { Response } from "./response.js"
import { json } from "./response.js"
import * as Runs from "./runs.js"
import * as Sse from "./sse.js"
import type { ServerState } from "./state.js"
import * as Turn from "./turn.js"
import type { SendRequest } from "./validate.js"

// str(LettaServiceUnavailableError): LettaError prefixes its code.
const redisMissing = "INTERNAL_SERVER_ERROR: Background streaming requires Redis to be running. Please ensure Redis " +
  "is properly configured. LETTA_REDIS_HOST: None, LETTA_REDIS_PORT: 6379"

const otidsOf = (request: SendRequest): Array<string> =>
  request.messages.map((m) => m.otid).filter((otid) => otid !== "")

/**
 * Takes the lock (when there is one) for a new request; a held lock is the
 * 409 busy error naming the holder's run.
 */
const lock = (state: ServerState, key: string | null, token: string, now: number) => {
  if (key === null) return Effect.void
  const busy = state.redis.acquireLock(key, token, now)
  return busy === undefined ? Effect.void : Effect.fail(Errors.conversationBusy(state.redis.runFor(busy.holder)))
}

export interface StreamTarget {
  readonly thread: Turn.Thread
  readonly runType: Runs.RunType
  /** the conversation id, the agent id (agent-direct sends) or none (the agents endpoint takes no lock) */
  readonly lockKey: string | null
}

/** `create_agent_stream`, foreground only: the response is the SSE body. */
export const stream = (
  state: ServerState,
  target: StreamTarget,
  request: SendRequest
): Effect.Effect<Response, Errors.HttpError> =>
  Effect.gen(function*() {
    const { agent, conversation } = target.thread
    const store = state.store
    const now = yield* Clock.currentTimeMillis
    const otids = otidsOf(request)
    const token = Redis.requestToken(otids)
    yield* lock(state, target.lockKey, token, now)
    const run = Runs.create(store, {
      agent,
      runType: target.runType,
      conversationId: conversation?.id ?? null,
      background: request.background,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    state.redis.mapRun([token, ...otids], run.id)
    if (request.background) {
      // This server has no Redis streams; the real one without Redis fails the same way after
      // creating the run, and the failed run's update frees the lock.
      Runs.update(store, run, { status: "failed", error: redisMissing, now })
      if (target.lockKey !== null) state.redis.releaseLock(target.lockKey)
      return yield* Errors.detail(503, redisMissing)
    }
    Runs.update(store, run, { status: "running", now })
    const plan = Turn.plan(store, target.thread, request)
    const ctx: AgentStream.AgentStream = {
      store,
      redis: state.redis,
      thread: target.thread,
      run,
      request,
      plan,
      // Other models silently fall back to step mode, as on the real server.
      tokens: request.stream_tokens && AgentStream.canStreamTokens(target.thread),
      lockKey: target.lockKey
    }
    return {
      _tag: "Sse" as const,
      runId: run.id,
      body: Sse.stream({
        runId: run.id,
        includePings: request.include_pings,
        keepaliveInterval: state.keepaliveInterval,
        maxStreamSilence: state.maxStreamSilence,
        cutAfter: plan.directives.cutAfter,
        isCancelled: () => store.runs.get(run.id)?.status === "cancelled",
        produce: AgentStream.produce(ctx),
        onStopped: AgentStream.onStopped(ctx)
      })
    }
  })

export interface StepTarget {
  readonly thread: Turn.Thread
  readonly runType: Runs.RunType
  /** the agent id for agent-direct sends, which lock even without streaming */
  readonly lockKey: string | null
  /** the conversations endpoint's non-streaming run leaves its conversation out */
  readonly runConversationId: string | null
}

/** A non-streaming send: the whole turn at once, answered as a `LettaResponse`. */
export const step = (
  state: ServerState,
  target: StepTarget,
  request: SendRequest
): Effect.Effect<Response, Errors.HttpError> =>
  Effect.gen(function*() {
    const store = state.store
    const now = yield* Clock.currentTimeMillis
    const otids = otidsOf(request)
    const token = Redis.requestToken(otids)
    yield* lock(state, target.lockKey, token, now)
    const run = Runs.create(store, {
      agent: target.thread.agent,
      runType: target.runType,
      conversationId: target.runConversationId,
      background: false,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    if (target.lockKey !== null) state.redis.mapRun([token, ...otids], run.id)
    const result = Turn.execute(store, target.thread, run, request, now)
    // The turn is over before anyone else can ask, so the lock only ever turns others away while a stream holds it.
    if (target.lockKey !== null) state.redis.releaseLock(target.lockKey)
    switch (result._tag) {
      case "Completed": {
        Runs.update(store, run, { status: "completed", stopReason: "end_turn", now })
        run.ttftNs = run.totalDurationNs
        return json(Turn.lettaResponse(result))
      }
      case "LlmError": {
        // The exception propagates: the run fails without a stop reason and app.py renders the provider error.
        Runs.update(store, run, { status: "failed", error: result.spec.detail, now })
        return yield* Errors.llmError(result.spec.status, result.spec.kind, result.spec.message, result.spec.detail)
      }
      case "Crash": {
        Runs.update(store, run, { status: "failed", error: result.detail, now })
        return yield* (result.exception === "ValueError" ? Errors.detail(400, result.detail) : Errors.unknownError())
      }
    }
  })
