/**
 * The two ways a send is answered, shared by the agents and the conversations
 * endpoints: `stream` (`StreamingService.create_agent_stream`: foreground SSE,
 * or with `background: true` a Redis reader of the run a server fiber writes)
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
import * as StreamReader from "./streamReader.js"
import * as StreamWriter from "./streamWriter.js"
import * as Turn from "./turn.js"
import type { SendRequest } from "./validate.js"

const otidsOf = (request: SendRequest): Array<string> =>
  request.messages.map((m) => m.otid).filter((otid) => otid !== "")

/** `redis_sse_stream_generator(run_id)` with its defaults, the body of a background send. */
const reader = (state: ServerState, runId: string, request: SendRequest, cutAfter: number | undefined, now: number) =>
  StreamReader.response(state, {
    runId,
    startingAfter: 0,
    pollInterval: 0.1,
    batchSize: 100,
    includePings: request.include_pings,
    cancellable: false,
    cutAfter
  }, now)

// `try_recover_duplicate_request`'s second chance: the lock holder may still be creating its run.
const recoveryDelaysMillis = [250, 500, 1000]

/**
 * Admission of a new request where there is a lock. A background request
 * whose request token already names a run (an exact retry) gets a read-only
 * replay of that run from its first entry, with no new run and no `/cut`;
 * otherwise the lock is taken, and a held lock is the 409 busy error naming
 * the holder's run (after the retries above when the holder has the same token).
 */
const admit = (
  state: ServerState,
  lockKey: string | null,
  token: string,
  request: SendRequest,
  /** `background` of a streaming request: only those can be replays */
  replayable: boolean
): Effect.Effect<Response | undefined, Errors.HttpError> =>
  Effect.gen(function*() {
    if (lockKey === null) return undefined
    const recover = Effect.map(Clock.currentTimeMillis, (now) => {
      const runId = state.redis.runFor(token, now)
      return runId === null ? undefined : reader(state, runId, request, undefined, now)
    })
    if (replayable) {
      const replay = yield* recover
      if (replay !== undefined) return replay
    }
    const busy = state.redis.acquireLock(lockKey, token, yield* Clock.currentTimeMillis)
    if (busy === undefined) return undefined
    if (replayable && busy.holder === token) {
      for (const delay of recoveryDelaysMillis) {
        const replay = yield* recover
        if (replay !== undefined) return replay
        yield* Effect.sleep(delay)
      }
    }
    return yield* Errors.conversationBusy(state.redis.runFor(busy.holder, yield* Clock.currentTimeMillis))
  })

export interface StreamTarget {
  readonly thread: Turn.Thread
  readonly runType: Runs.RunType
  /** the conversation id, the agent id (agent-direct sends) or none (the agents endpoint takes no lock) */
  readonly lockKey: string | null
}

/** `create_agent_stream`: the response is the SSE body (foreground) or a reader of the run's Redis stream. */
export const stream = (
  state: ServerState,
  target: StreamTarget,
  request: SendRequest
): Effect.Effect<Response, Errors.HttpError> =>
  Effect.gen(function*() {
    const { agent, conversation } = target.thread
    const store = state.store
    const otids = otidsOf(request)
    const token = Redis.requestToken(otids)
    const replay = yield* admit(state, target.lockKey, token, request, request.background)
    if (replay !== undefined) return replay
    const now = yield* Clock.currentTimeMillis
    const run = Runs.create(store, {
      agent,
      runType: target.runType,
      conversationId: conversation?.id ?? null,
      background: request.background,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    state.redis.mapRun([token, ...otids], run.id, now)
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
      lockKey: target.lockKey,
      background: request.background
    }
    if (request.background) {
      // The turn belongs to the server, not to this request: a client that goes away never stops it.
      yield* state.fork(StreamWriter.process(state, ctx))
      return reader(state, run.id, request, plan.directives.cutAfter, now)
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
  /** the agents endpoint answers a pending approval with an object `detail` */
  readonly structuredPendingApproval: boolean
}

/** A non-streaming send: the whole turn at once, answered as a `LettaResponse`. */
export const step = (
  state: ServerState,
  target: StepTarget,
  request: SendRequest
): Effect.Effect<Response, Errors.HttpError> =>
  Effect.gen(function*() {
    const store = state.store
    const otids = otidsOf(request)
    const token = Redis.requestToken(otids)
    yield* admit(state, target.lockKey, token, request, false)
    const now = yield* Clock.currentTimeMillis
    const run = Runs.create(store, {
      agent: target.thread.agent,
      runType: target.runType,
      conversationId: target.runConversationId,
      background: false,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    if (target.lockKey !== null) state.redis.mapRun([token, ...otids], run.id, now)
    const result = Turn.execute(store, target.thread, run, request, now)
    // The turn is over before anyone else can ask, so the lock only ever turns others away while a stream holds it.
    if (target.lockKey !== null) state.redis.releaseLock(target.lockKey)
    switch (result._tag) {
      case "Completed": {
        // `result.stop_reason.stop_reason.run_status`: an approval request completes the run too.
        const status = Runs.statusOf(result.stopReason)
        Runs.update(store, run, { status, stopReason: result.stopReason, now })
        if (status === "completed") run.ttftNs = run.totalDurationNs
        return json(Turn.lettaResponse(result))
      }
      case "LlmError": {
        // The exception propagates: the run fails without a stop reason and app.py renders the provider error.
        Runs.update(store, run, { status: "failed", error: result.spec.detail, now })
        return yield* Errors.llmError(result.spec.status, result.spec.kind, result.spec.message, result.spec.detail)
      }
      case "Crash": {
        Runs.update(store, run, { status: "failed", error: result.detail, now })
        switch (result.exception) {
          case "ValueError":
            return yield* Errors.detail(400, result.detail)
          case "PendingApprovalError":
            return yield* Errors.pendingApproval(
              result.detail,
              result.pendingRequestId ?? null,
              target.structuredPendingApproval
            )
          default:
            return yield* Errors.unknownError()
        }
      }
    }
  })
