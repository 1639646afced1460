/**
 * `/v1/agents/{agent_id}/messages[...]`: history, send (JSON or SSE), async
 * send and cancel.
 */
import { Clock, Effect, Fiber } from "effect"
import * as Callback from "../callback.js"
import * as Errors from "../errors.js"
import * as P from "../pydantic.js"
import { checkHeaders, isSdkV1, optionalBody, Params, readBody, requiredBody } from "../request.js"
import type { Handler } from "../response.js"
import { json } from "../response.js"
import * as Runs from "../runs.js"
import * as Send from "../send.js"
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
    return yield* agentRecall(state, agentId, { before, after, limit, order, groupId, conversationId, include })
  })

/**
 * `server.get_agent_recall_async`, the agents endpoint's history (also the
 * conversations endpoint's agent-direct listing): absolute cursors, an unknown
 * cursor is a 404, and a desc page still comes back oldest first.
 */
export const agentRecall = (
  state: ServerState,
  agentId: string,
  query: {
    readonly before: string | undefined
    readonly after: string | undefined
    readonly limit: number | null
    readonly order: "asc" | "desc"
    readonly groupId: string | undefined
    readonly conversationId: string | undefined
    readonly include: ReadonlyArray<string> | null
  }
) =>
  Effect.gen(function*() {
    // validate_agent_exists_async raises LettaAgentNotFoundError, whose handler has a fixed text.
    if (!state.store.agents.has(agentId)) return yield* Errors.agentNotFoundShort()
    const desc = query.order === "desc"
    const page = state.store.listMessages({ agentId }, {
      after: query.after,
      before: query.before,
      limit: query.limit,
      ascending: !desc,
      groupId: query.groupId,
      conversationId: query.conversationId
    })
    if (page instanceof UnknownCursor) return yield* Errors.messageCursorNotFound(page.id, agentId)
    const messages = Wire.lettaMessagesFrom(page, { reverse: desc, include: query.include })
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
    if (request.streaming && !isSdkV1(req)) return yield* Errors.streamingGate()
    const agent = yield* getAgent(state, agentId)
    const thread = { agent, conversation: null }
    // This endpoint takes no lock (`should_lock=False`): concurrent sends are allowed.
    return request.streaming
      ? yield* Send.stream(state, { thread, runType: "send_message", lockKey: null }, request)
      : yield* Send.step(state, {
        thread,
        runType: "send_message",
        lockKey: null,
        runConversationId: null,
        structuredPendingApproval: true
      }, request)
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
    const agent = yield* getAgent(state, agentId)
    return yield* Send.stream(
      state,
      { thread: { agent, conversation: null }, runType: "send_message_streaming", lockKey: null },
      { ...request, streaming: true }
    )
  })

/**
 * The background half of `/messages/async`: waits `asyncRunDelay`, runs the
 * turn non-streaming, makes the terminal update and awaits the run's callback.
 */
const processInBackground = (state: ServerState, runId: string, request: SendRequest) =>
  Effect.gen(function*() {
    yield* Effect.sleep(state.asyncRunDelay)
    const now = yield* Clock.currentTimeMillis
    const store = state.store
    const run = store.runs.get(runId)
    if (run === undefined || Runs.isTerminal(run.status)) return
    const agent = store.agents.get(run.agentId)
    // Async runs go straight from `created` to a terminal status.
    const result = agent === undefined ? undefined : Turn.execute(store, { agent, conversation: null }, run, request, now)
    let firstTerminal: boolean
    if (result?._tag === "Completed") {
      // Any stop reason but `cancelled` completes an async run, an approval request included.
      firstTerminal = Runs.update(store, run, { status: "completed", stopReason: result.stopReason, now })
      run.ttftNs = run.totalDurationNs
    } else {
      const error = result === undefined ? `Agent with ID ${run.agentId} not found` : Turn.errorText(result)
      firstTerminal = Runs.update(store, run, { status: "failed", stopReason: "error", error, now })
    }
    if (firstTerminal) yield* Callback.dispatch(store, run)
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
    // `_process_message_background` never hands `client_tools` to the agent loop.
    const fiber = yield* state.fork(processInBackground(state, run.id, { ...request, client_tools: null }))
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
    if (runIds.length === 0) return yield* Errors.noActiveRuns({ agentId })
    const now = yield* Clock.currentTimeMillis
    const results: Record<string, string> = {}
    for (const runId of runIds) {
      const run = store.runs.get(runId)
      const open = run !== undefined && run.completedAt === null
      const outcome = Runs.cancel(store, state.redis, runId, now)
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
      // cancel_run awaits the update, callback included, before the next run id (and the response).
      if (outcome === "cancelled" && open) yield* Callback.dispatch(store, run)
    }
    return json(results)
  })
