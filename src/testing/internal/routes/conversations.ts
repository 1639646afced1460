/**
 * `/v1/conversations` endpoints: create, list, retrieve, messages (list and
 * send), cancel, and the resume stream of background runs.
 *
 * `conversation_id` in the message routes may be `conv-…`, `default` with an
 * `agent_id` (agent-direct mode, the agent's default thread) or, deprecated,
 * an agent id. Agent-direct sends lock on the agent id and record plain
 * `send_message` runs without a conversation, as the real router does.
 */
import { Clock, Effect } from "effect"
import * as Errors from "../errors.js"
import * as Ids from "../ids.js"
import * as P from "../pydantic.js"
import { checkHeaders, optionalBody, Params, readBody, requiredBody } from "../request.js"
import type { Handler } from "../response.js"
import { json } from "../response.js"
import * as Runs from "../runs.js"
import * as Send from "../send.js"
import type { ServerState } from "../state.js"
import type { ConversationRecord, RunRecord } from "../store.js"
import * as StreamReader from "../streamReader.js"
import * as Validate from "../validate.js"
import * as Wire from "../wire.js"
import { getAgent } from "./agents.js"
import { agentRecall } from "./messages.js"
import { getRun } from "./runs.js"

const conversationId = {
  pattern: Ids.patternSource("conv"),
  minLength: Ids.idLength("conv"),
  maxLength: Ids.idLength("conv")
}

/** `ConversationManager.get_conversation_by_id` */
const getConversation = (state: ServerState, id: string): Effect.Effect<ConversationRecord, Errors.HttpError> => {
  const conversation = state.store.conversations.get(id)
  return conversation === undefined
    ? Effect.fail(Errors.ormNotFound("Conversation", id, state.startedAt, { checkIsDeleted: true }))
    : Effect.succeed(conversation)
}

/** The agent a `default` + `agent_id` pair or a deprecated agent-id path means, if any. */
const agentDirect = (conversationIdOrDefault: string, agentId: string | null | undefined): string | undefined => {
  if (conversationIdOrDefault === "default" && agentId) return agentId
  return conversationIdOrDefault.startsWith("agent-") ? conversationIdOrDefault : undefined
}

const invalidHandle = "INVALID_ARGUMENT: The model handle should be in the format provider/model-name"

const isBadHandle = (model: unknown) => {
  if (typeof model !== "string" || model === "") return false
  const at = model.indexOf("/")
  return at <= 0 || at === model.length - 1
}

export const createConversation: Handler = (state, req) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    // The handle validator raises a LettaInvalidArgumentError, which escapes pydantic before any 422.
    if (body.present && P.isObject(body.value) && isBadHandle(body.value["model"])) {
      return yield* Errors.detail(400, invalidHandle)
    }
    const params = new Params(req, {})
    const agentId = params.queryRequired("agent_id", P.str, "")
    const request = params.body(optionalBody(body, Validate.createConversationRequest), null)
    yield* params.done
    // validate_agent_exists_async: LettaAgentNotFoundError, whose handler has a fixed text.
    const agent = state.store.agents.get(agentId)
    if (agent === undefined) return yield* Errors.agentNotFoundShort()
    const labels = (request?.["isolated_block_labels"] as ReadonlyArray<string> | null | undefined) ?? []
    const missing = labels.find((label) => !agent.blocks.some((b) => b.label === label))
    if (missing !== undefined) {
      return yield* Errors.detail(
        400,
        `INVALID_ARGUMENT: Block with label '${missing}' not found on agent '${agentId}'`
      )
    }
    const now = yield* Clock.currentTimeMillis
    const conversation = state.store.addConversation({
      id: Ids.make("conv"),
      agentId,
      createdAt: now,
      updatedAt: now,
      summary: (request?.["summary"] as string | null | undefined) ?? null,
      model: (request?.["model"] as string | null | undefined) ?? null,
      modelSettings: (request?.["model_settings"] as Record<string, unknown> | null | undefined) ?? null,
      // Each isolated label gets its own copy of the agent's block.
      isolatedBlockIds: labels.map(() => Ids.make("block")),
      lastMessageAt: null,
      inContext: []
    })
    const response = json(Wire.conversation(conversation, { withContext: false }))
    // compile_and_save_system_message_for_conversation runs after the row is read back.
    const system = state.store.addMessage({
      agentId,
      role: "system",
      content: [{ type: "text", text: agent.system, signature: null }],
      conversationId: conversation.id,
      createdAt: now
    })
    conversation.inContext.push(system.id)
    return response
  })

const sortKeys = ["created_at", "last_run_completion", "last_message_at"] as const

export const listConversations: Handler = (state, req) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, {})
    const agentId = params.query("agent_id", P.str, undefined)
    const limit = params.query("limit", P.int, 50)
    const after = params.query("after", P.str, undefined)
    const summarySearch = params.query("summary_search", P.str, undefined)
    const order = params.query("order", P.literal(["asc", "desc"]), "desc")
    const orderBy = params.query("order_by", P.literal(sortKeys), "created_at")
    yield* params.done
    const store = state.store
    const lastRunCompletion = (c: ConversationRecord) => {
      let latest: number | null = null
      for (const run of store.runs.values()) {
        if (run.conversationId === c.id && run.completedAt !== null && (latest === null || run.completedAt > latest)) {
          latest = run.completedAt
        }
      }
      return latest
    }
    // The sort value, with `seq` standing in for the sub-millisecond order of timestamps that tie.
    const key = (c: ConversationRecord): readonly [number | null, number] =>
      orderBy === "created_at"
        ? [c.createdAt, c.seq]
        : orderBy === "last_message_at"
        ? [c.lastMessageAt, c.seq]
        : [lastRunCompletion(c), c.seq]
    const ascending = order === "asc"
    // Ascending or descending, a missing value sorts last (`nulls_last` for the optional keys).
    const compare = (a: ConversationRecord, b: ConversationRecord) => {
      const [va, sa] = key(a)
      const [vb, sb] = key(b)
      if (va === null || vb === null) {
        if (va !== vb) return va === null ? 1 : -1
      } else if (va !== vb) return ascending ? va - vb : vb - va
      return ascending ? sa - sb : sb - sa
    }
    let items = Array.from(store.conversations.values()).filter((c) =>
      (agentId === undefined || c.agentId === agentId) &&
      (summarySearch === undefined || summarySearch === "" || (c.summary ?? "").includes(summarySearch))
    )
    items.sort(compare)
    if (after !== undefined && after !== "") {
      const cursor = store.conversations.get(after)
      // The created_at and last_message_at cursors read the row, so an unknown one is a 404;
      // the last_run_completion query just finds nothing to compare with.
      if (cursor === undefined) {
        if (orderBy !== "last_run_completion") return yield* Errors.ormNotFound("Conversation", after, state.startedAt)
      } else {
        items = items.filter((c) => compare(c, cursor) > 0)
      }
    }
    return json(items.slice(0, Math.max(0, limit)).map((c) => Wire.conversation(c, { withContext: false })))
  })

export const retrieveConversation: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const id = params.pathMatching("conversation_id", conversationId)
    yield* params.done
    const conversation = yield* getConversation(state, id)
    return json(Wire.conversation(conversation, { withContext: true }))
  })

export const listConversationMessages: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const id = params.pathMatching("conversation_id", Errors.conversationOrDefault)
    const agentId = params.query("agent_id", P.str, undefined)
    const before = params.query("before", P.str, undefined)
    const after = params.query("after", P.str, undefined)
    const limit = params.query("limit", P.optional(P.int), 100)
    const order = params.query("order", P.literal(["asc", "desc"]), "desc")
    params.query("order_by", P.literal(["created_at"]), "created_at")
    const groupId = params.query("group_id", P.str, undefined)
    params.query("include_err", P.bool, null)
    const include = params.queryList("include_return_message_types", P.enumeration(Validate.messageTypes))
    yield* params.done
    const direct = agentDirect(id, agentId)
    if (direct !== undefined) {
      return yield* agentRecall(state, direct, {
        before,
        after,
        limit,
        order,
        groupId,
        conversationId: "default",
        include
      })
    }
    // Positions, not ids: an unknown cursor is ignored, and desc really lists newest first
    // (each message's parts stay in their natural order).
    const page = state.store.listConversationMessages(id, {
      before,
      after,
      limit,
      descending: order === "desc",
      groupId
    })
    return json(Wire.lettaMessagesFrom(page, { reverse: false, include }))
  })

export const sendConversationMessage: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const id = params.pathMatching("conversation_id", Errors.conversationOrDefault)
    const request = params.body(requiredBody(body, Validate.conversationSendRequest), undefined)
    yield* params.done
    if (request === undefined) return yield* Errors.unknownError()
    if (request.messages.length === 0) return yield* Errors.detail(422, "Messages must not be empty")

    const direct = agentDirect(id, request.agent_id)
    if (direct !== undefined) {
      // `_send_agent_direct_message`: the agents path with the agent id as lock key, no conversation.
      const agent = yield* getAgent(state, direct)
      const thread = { agent, conversation: null }
      const target = { thread, runType: "send_message" as const, lockKey: agent.id }
      return request.streaming
        ? yield* Send.stream(state, target, request)
        : yield* Send.step(state, { ...target, runConversationId: null, structuredPendingApproval: false }, request)
    }

    const conversation = yield* getConversation(state, id)
    const now = yield* Clock.currentTimeMillis
    // Message activity is marked when the request arrives.
    conversation.lastMessageAt = now
    conversation.updatedAt = now
    const agent = yield* getAgent(state, conversation.agentId)
    const thread = { agent, conversation }
    // Only the streaming path locks the conversation; the non-streaming path neither locks nor
    // records the conversation on its run.
    return request.streaming
      ? yield* Send.stream(state, { thread, runType: "send_conversation_message", lockKey: conversation.id }, request)
      : yield* Send.step(
        state,
        {
          thread,
          runType: "send_conversation_message",
          lockKey: null,
          runConversationId: null,
          structuredPendingApproval: false
        },
        request
      )
  })

export const cancelConversation: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const id = params.pathMatching("conversation_id", Errors.conversationOrDefault)
    const agentId = params.query("agent_id", P.str, undefined)
    yield* params.done
    const store = state.store
    const direct = agentDirect(id, agentId)
    if (direct === undefined) yield* getConversation(state, id)
    // Agent-direct mode lists every created/running run of the agent, whatever its conversation.
    const active = (run: RunRecord) =>
      (run.status === "created" || run.status === "running") &&
      (direct !== undefined ? run.agentId === direct : run.conversationId === id)
    const runIds = Array.from(store.runs.values())
      .filter(active)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, 100)
      .map((r) => r.id)
    if (runIds.length === 0) return yield* Errors.noActiveRuns({ conversationId: id })
    const now = yield* Clock.currentTimeMillis
    const results: Record<string, string> = {}
    for (const runId of runIds) {
      const outcome = Runs.cancel(store, state.redis, runId, now)
      results[runId] = outcome === "failed" ? "failed" : "cancelled"
    }
    return json(results)
  })

// The otid lookup retries while the request that creates the run may still be storing its mapping.
const otidRetryDelaysMillis = [250, 500, 1000]

/** The run a resume means: `run_id`, else `otid`, else the latest active run (which must be background). */
const runToResume = (
  state: ServerState,
  id: string,
  request: StreamReader.RetrieveStreamRequest | null
): Effect.Effect<RunRecord, Errors.HttpError> =>
  Effect.gen(function*() {
    if (request?.runId) return yield* getRun(state, request.runId)
    if (request?.otid) {
      for (const delay of otidRetryDelaysMillis) {
        const runId = state.redis.runFor(request.otid, yield* Clock.currentTimeMillis)
        if (runId !== null) return yield* getRun(state, runId)
        yield* Effect.sleep(delay)
      }
      return yield* Errors.noRunForOtid(request.otid)
    }
    const direct = agentDirect(id, request?.agentId)
    const latest = Array.from(state.store.runs.values())
      .filter((run) =>
        (run.status === "created" || run.status === "running") &&
        (direct !== undefined ? run.agentId === direct : run.conversationId === id)
      )
      .sort((a, b) => b.seq - a.seq)[0]
    if (latest === undefined) return yield* Errors.noActiveRunToResume()
    if (!latest.background) return yield* Errors.notBackground()
    return latest
  })

/**
 * `POST /v1/conversations/{conversation_id}/stream`: a reader of the run
 * `runToResume` finds, refused when that run is older than three hours.
 * Without a body the reader has no keepalive pings, no `COUNT` and a `None`
 * poll interval, which fails the first time it has to wait.
 */
export const retrieveConversationStream: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const id = params.pathMatching("conversation_id", Errors.conversationOrDefault)
    const request = params.body(optionalBody(body, StreamReader.retrieveStreamRequest), null)
    yield* params.done
    const run = yield* runToResume(state, id, request)
    const now = yield* Clock.currentTimeMillis
    yield* StreamReader.checkAge(run, now)
    return StreamReader.resume(state, run, request, now)
  })
