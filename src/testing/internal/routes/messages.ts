/**
 * `/v1/agents/{agent_id}/messages[...]`: history, send (JSON or SSE), async
 * send and cancel.
 */
import { Clock, Effect, Fiber, Stream } from "effect"
import * as Errors from "../errors.js"
import * as P from "../pydantic.js"
import { checkHeaders, isSdkV1, optionalBody, Params, readBody, requiredBody } from "../request.js"
import type { Handler } from "../response.js"
import { json } from "../response.js"
import * as Runs from "../runs.js"
import type { ServerState } from "../state.js"
import { UnknownCursor } from "../store.js"
import * as Turn from "../turn.js"
import * as Validate from "../validate.js"
import type { SendRequest } from "../validate.js"
import * as Wire from "../wire.js"
import { getAgent } from "./agents.js"

export const listMessages: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const before = params.query("before", P.str, undefined)
    const after = params.query("after", P.str, undefined)
    const limit = params.query("limit", P.int, 100)
    const order = params.query("order", P.literal(["asc", "desc"]), "desc")
    params.query("order_by", P.literal(["created_at"]), "created_at")
    const groupId = params.query("group_id", P.str, undefined)
    const conversationId = params.query("conversation_id", P.str, undefined)
    params.query("use_assistant_message", P.bool, true)
    params.query("assistant_message_tool_name", P.str, "send_message")
    params.query("assistant_message_tool_kwarg", P.str, "message")
    params.query("include_err", P.bool, null)
    const include = params.queryList("include_return_message_types", P.enumeration(Validate.messageTypes))
    yield* params.done
    // validate_agent_exists_async raises LettaAgentNotFoundError, whose handler has a fixed text.
    if (!state.store.agents.has(agentId)) return yield* Errors.agentNotFoundShort()
    const page = state.store.listMessages({ agentId }, {
      after,
      before,
      limit,
      ascending: order === "asc",
      groupId,
      conversationId
    })
    if (page instanceof UnknownCursor) return yield* Errors.messageCursorNotFound(page.id, agentId)
    const desc = order === "desc"
    const messages = Wire.lettaMessagesFrom(page, { reverse: desc, include })
    // get_agent_recall_async reverses a desc page again, so both orders come back oldest first.
    if (desc) messages.reverse()
    return json(messages)
  })

// ---------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------

const streamingOptionErrors = (request: SendRequest): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (request.stream_tokens) errors.push("stream_tokens can only be true when streaming=true")
  if (!request.include_pings) errors.push("include_pings can only be set to false when streaming=true")
  if (request.background) errors.push("background can only be true when streaming=true")
  return errors
}

// str(LettaServiceUnavailableError): LettaError prefixes its code.
const redisMissing = "INTERNAL_SERVER_ERROR: Background streaming requires Redis to be running. Please ensure Redis " +
  "is properly configured. LETTA_REDIS_HOST: None, LETTA_REDIS_PORT: 6379"

/** `StreamingService.create_agent_stream` in step mode, foreground. */
const stream = (
  state: ServerState,
  agentId: string,
  request: SendRequest,
  runType: Runs.RunType
) =>
  Effect.gen(function*() {
    const agent = yield* getAgent(state, agentId)
    const now = yield* Clock.currentTimeMillis
    const run = Runs.create(state.store, {
      agent,
      runType,
      background: request.background,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    if (request.background) {
      // This server has no Redis; the real one fails the same way after creating the run.
      Runs.update(state.store, run, { status: "failed", error: redisMissing, now })
      return yield* Errors.detail(503, redisMissing)
    }
    // Token streaming falls back to step mode, as the real server does for models it cannot token-stream.
    Runs.update(state.store, run, { status: "running", now })
    const events = Turn.events(run, Turn.execute(state.store, agent, run, request, now))
    const frames = Turn.sseFrames(run, events, { includePings: request.include_pings, now })
    Turn.finishStreamingRun(state.store, run, events, now)
    return { _tag: "Sse" as const, frames: Stream.fromIterable(frames) }
  })

export const sendMessage: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const request = params.body(requiredBody(body, Validate.streamingSendRequest), undefined)
    yield* params.done
    if (request === undefined) return yield* Errors.unknownError()
    if (request.messages.length === 0) return yield* Errors.detail(422, "Messages must not be empty")
    if (!request.streaming) {
      const errors = streamingOptionErrors(request)
      if (errors.length > 0) {
        return yield* Errors.detail(
          422,
          `Streaming options set without streaming enabled. ${errors.join("; ")}. ` +
            "Either set streaming=true or use default values for streaming options."
        )
      }
    }
    if (request.streaming) {
      if (!isSdkV1(req)) return yield* Errors.streamingGate()
      return yield* stream(state, agentId, request, "send_message")
    }

    const agent = yield* getAgent(state, agentId)
    const now = yield* Clock.currentTimeMillis
    const run = Runs.create(state.store, {
      agent,
      runType: "send_message",
      background: false,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: null,
      now
    })
    const result = Turn.execute(state.store, agent, run, request, now)
    switch (result._tag) {
      case "Completed": {
        Runs.update(state.store, run, { status: "completed", stopReason: "end_turn", now })
        run.ttftNs = run.totalDurationNs
        return json(Turn.lettaResponse(Turn.events(run, result)))
      }
      case "LlmError": {
        // The exception propagates: the run fails without a stop reason and app.py renders the provider error.
        Runs.update(state.store, run, { status: "failed", error: result.spec.detail, now })
        return yield* Errors.llmError(result.spec.status, result.spec.kind, result.spec.message, result.spec.detail)
      }
      case "Crash": {
        Runs.update(state.store, run, { status: "failed", error: result.detail, now })
        return yield* (result.exception === "ValueError" ? Errors.detail(400, result.detail) : Errors.unknownError())
      }
    }
  })

/** Deprecated `POST /v1/agents/{agent_id}/messages/stream`: always streams, no SDK gate. */
export const sendMessageStream: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const request = params.body(requiredBody(body, Validate.streamingSendRequest), undefined)
    yield* params.done
    if (request === undefined) return yield* Errors.unknownError()
    return yield* stream(state, agentId, { ...request, streaming: true }, "send_message_streaming")
  })

/** The background half of `/messages/async`: waits `asyncRunDelay`, then runs the turn non-streaming. */
const processInBackground = (state: ServerState, runId: string, request: SendRequest) =>
  Effect.gen(function*() {
    yield* Effect.sleep(state.asyncRunDelay)
    const now = yield* Clock.currentTimeMillis
    const store = state.store
    const run = store.runs.get(runId)
    if (run === undefined || Runs.isTerminal(run.status)) return
    const agent = store.agents.get(run.agentId)
    if (agent === undefined) {
      Runs.update(store, run, { status: "failed", stopReason: "error", error: `Agent with ID ${run.agentId} not found`, now })
      return
    }
    // Async runs go straight from `created` to a terminal status.
    const result = Turn.execute(store, agent, run, request, now)
    if (result._tag === "Completed") {
      Runs.update(store, run, { status: "completed", stopReason: "end_turn", now })
      run.ttftNs = run.totalDurationNs
    } else {
      Runs.update(store, run, { status: "failed", stopReason: "error", error: Turn.errorText(result), now })
    }
  }).pipe(Effect.ensuring(Effect.sync(() => state.runFibers.delete(runId))))

export const sendMessageAsync: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const request = params.body(requiredBody(body, Validate.asyncSendRequest), undefined)
    yield* params.done
    if (request === undefined) return yield* Errors.unknownError()
    // create_run checks the agent with validate_agent_exists_async (LettaAgentNotFoundError).
    const agent = state.store.agents.get(agentId)
    if (agent === undefined) return yield* Errors.agentNotFoundShort()
    const now = yield* Clock.currentTimeMillis
    const run = Runs.create(state.store, {
      agent,
      runType: "send_message_async",
      background: true,
      requestConfig: Runs.requestConfig(request),
      callbackUrl: request.callback_url,
      now
    })
    const response = json(Wire.run(run))
    const fiber = yield* state.fork(processInBackground(state, run.id, request))
    if (fiber.unsafePoll() === null) state.runFibers.set(run.id, fiber)
    return response
  })

export const cancelMessage: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const agentId = params.pathId("agent_id", "agent")
    const request = params.body(optionalBody(body, Validate.cancelRequest), null)
    yield* params.done
    const store = state.store
    let runIds = (request?.["run_ids"] as Array<string> | null | undefined) ?? []
    if (runIds.length === 0) {
      // The Redis key holds the agent's last sync/streaming run, finished or not; without it the
      // server falls back to the agent's created/running runs.
      const remembered = store.agents.get(agentId)?.lastSendRunId ?? null
      runIds = remembered !== null
        ? [remembered]
        : Array.from(store.runs.values())
          .filter((r) => r.agentId === agentId && (r.status === "created" || r.status === "running"))
          .sort((a, b) => b.seq - a.seq)
          .slice(0, 100)
          .map((r) => r.id)
    }
    if (runIds.length === 0) return yield* Errors.detail(409, `CONFLICT: No active runs to cancel for agent ${agentId}`)
    const now = yield* Clock.currentTimeMillis
    const results: Record<string, string> = {}
    for (const runId of runIds) {
      const outcome = Runs.cancel(store, runId, now)
      // defineProperty: a run id such as "__proto__" must stay an ordinary key.
      Object.defineProperty(results, runId, {
        value: outcome === "failed" ? "failed" : "cancelled",
        enumerable: true,
        writable: true,
        configurable: true
      })
      const fiber = state.runFibers.get(runId)
      if (outcome === "cancelled" && fiber !== undefined) {
        state.runFibers.delete(runId)
        yield* Fiber.interrupt(fiber)
      }
    }
    return json(results)
  })
