/**
 * `/v1/runs` endpoints.
 */
import { Clock, Effect, Fiber } from "effect"
import * as Errors from "../errors.js"
import * as Ids from "../ids.js"
import * as P from "../pydantic.js"
import { checkHeaders, optionalBody, Params, readBody } from "../request.js"
import type { Handler } from "../response.js"
import { json } from "../response.js"
import * as Runs from "../runs.js"
import type { ServerState } from "../state.js"
import type { RunRecord, StepRecord } from "../store.js"
import { UnknownCursor } from "../store.js"
import * as StreamReader from "../streamReader.js"
import * as Validate from "../validate.js"
import * as Wire from "../wire.js"

const runStatuses = ["created", "running", "completed", "failed", "cancelled"]

/** `raise_on_invalid_id` + `RunModel.read_async`, the path of every `/runs/{run_id}` endpoint. */
export const getRun = (state: ServerState, runId: string): Effect.Effect<RunRecord, Errors.HttpError> => {
  if (!Ids.isValid("run", runId)) return Effect.fail(Errors.invalidId("run", "run", runId))
  const run = state.store.runs.get(runId)
  return run === undefined ? Effect.fail(Errors.runNotFound(runId, state.startedAt)) : Effect.succeed(run)
}

/**
 * `run_manager_helper._apply_pagination_async`: cursors move relative to the
 * sort order's direction as the real helper does it (`after` is newer in desc,
 * older in asc); an unknown cursor is ignored.
 */
const paginateRuns = (
  runs: ReadonlyArray<RunRecord>,
  options: { readonly before: string | undefined; readonly after: string | undefined; readonly ascending: boolean },
  lookup: (id: string) => RunRecord | undefined
): ReadonlyArray<RunRecord> => {
  let out = runs
  const after = options.after === undefined ? undefined : lookup(options.after)
  if (after !== undefined) {
    out = out.filter((r) => options.ascending ? r.seq < after.seq : r.seq > after.seq)
  }
  const before = options.before === undefined ? undefined : lookup(options.before)
  if (before !== undefined) {
    out = out.filter((r) => options.ascending ? r.seq > before.seq : r.seq < before.seq)
  }
  return [...out].sort((a, b) => options.ascending ? a.seq - b.seq : b.seq - a.seq)
}

export const listRuns: Handler = (state, req) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, {})
    const agentId = params.query("agent_id", P.str, undefined)
    const agentIds = params.queryList("agent_ids", P.str)
    const statuses = params.queryList("statuses", P.str)
    const background = params.query("background", P.bool, undefined)
    const stopReason = params.query("stop_reason", P.enumeration(Validate.stopReasons), undefined)
    const conversationId = params.query("conversation_id", P.str, undefined)
    const before = params.query("before", P.str, undefined)
    const after = params.query("after", P.str, undefined)
    const limit = params.query("limit", P.intRange({ ge: 1, le: 1000 }), 100)
    const order = params.query("order", P.literal(["asc", "desc"]), "desc")
    params.query("order_by", P.literal(["created_at"]), "created_at")
    const active = params.query("active", P.bool, false)
    const ascending = params.query("ascending", P.bool, false)
    yield* params.done

    const effectiveStatuses = statuses === null && active ? ["created", "running"] : statuses
    // convert_statuses_to_enum: RunStatus(value) raises ValueError, which the app maps to 400.
    const invalid = effectiveStatuses?.find((s) => !runStatuses.includes(s))
    if (invalid !== undefined) return yield* Errors.detail(400, `'${invalid}' is not a valid RunStatus`)
    const agents = agentId !== undefined && agentId !== "" ? [agentId] : agentIds
    const sortAscending = ascending ? true : order === "asc"

    const store = state.store
    const matching = Array.from(store.runs.values()).filter((r) =>
      (agents === null || agents.length === 0 || agents.includes(r.agentId)) &&
      (effectiveStatuses === null || effectiveStatuses.length === 0 || effectiveStatuses.includes(r.status)) &&
      (stopReason === undefined || r.stopReason === stopReason) &&
      (background === undefined || r.background === background) &&
      (conversationId === undefined || r.conversationId === conversationId)
    )
    const page = paginateRuns(matching, { before, after, ascending: sortAscending }, (id) => store.runs.get(id))
    return json(page.slice(0, limit).map(Wire.run))
  })

/** Deprecated `GET /v1/runs/active`. */
export const listActiveRuns: Handler = (state, req) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, {})
    const agentId = params.query("agent_id", P.str, undefined)
    const background = params.query("background", P.bool, undefined)
    yield* params.done
    const runs = Array.from(state.store.runs.values())
      .filter((r) =>
        (r.status === "created" || r.status === "running") &&
        (agentId === undefined || agentId === "" || r.agentId === agentId) &&
        (background === undefined || r.background === background)
      )
      .sort((a, b) => b.seq - a.seq)
      .slice(0, 100)
    return json(runs.map(Wire.run))
  })

export const retrieveRun: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const run = yield* getRun(state, pathParams["run_id"] ?? "")
    return json(Wire.run(run))
  })

export const deleteRun: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const run = yield* getRun(state, pathParams["run_id"] ?? "")
    state.store.deleteRun(run.id)
    const fiber = state.runFibers.get(run.id)
    if (fiber !== undefined) {
      state.runFibers.delete(run.id)
      yield* Fiber.interrupt(fiber)
    }
    return json(null)
  })

export const listRunMessages: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const runId = params.path("run_id")
    const before = params.query("before", P.str, undefined)
    const after = params.query("after", P.str, undefined)
    const limit = params.query("limit", P.int, 100)
    const order = params.query("order", P.literal(["asc", "desc"]), "asc")
    params.query("order_by", P.literal(["created_at"]), "created_at")
    yield* params.done
    const run = yield* getRun(state, runId)
    if (!state.store.agents.has(run.agentId)) return yield* Errors.agentNotFound(run.agentId)
    const page = state.store.listMessages({ runId }, { after, before, limit, ascending: order === "asc" })
    if (page instanceof UnknownCursor) return yield* Errors.messageCursorNotFound(page.id, null)
    // Unlike the agent history, a desc page really is newest first here.
    return json(Wire.lettaMessagesFrom(page, {
      reverse: order !== "asc",
      include: run.requestConfig.include_return_message_types
    }))
  })

export const retrieveRunUsage: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const run = yield* getRun(state, pathParams["run_id"] ?? "")
    return json(Wire.openAiUsage(Runs.usage(state.store, run.id)))
  })

/**
 * `SqlalchemyBase.list_async` cursors: relative to the sort order (in desc,
 * `before` is newer and `after` older); both together select the window between
 * them, fetching twice the limit and keeping its middle, as the real helper does.
 */
const paginateSteps = (
  steps: ReadonlyArray<StepRecord>,
  options: {
    readonly before: StepRecord | undefined
    readonly after: StepRecord | undefined
    readonly ascending: boolean
    readonly limit: number
  }
): ReadonlyArray<StepRecord> => {
  const { after, ascending, before } = options
  let out = steps.filter((s) => {
    if (before !== undefined && after !== undefined) return s.seq < before.seq && s.seq > after.seq
    if (before !== undefined) return ascending ? s.seq < before.seq : s.seq > before.seq
    if (after !== undefined) return ascending ? s.seq > after.seq : s.seq < after.seq
    return true
  })
  out = [...out].sort((a, b) => ascending ? a.seq - b.seq : b.seq - a.seq)
  const limit = options.limit < 0 ? out.length : options.limit
  if (before !== undefined && after !== undefined) {
    out = out.slice(0, limit * 2)
    if (out.length > limit) {
      const start = Math.max(0, Math.floor(out.length / 2) - Math.floor(limit / 2))
      out = out.slice(start, Math.min(out.length, start + limit))
    }
    return out
  }
  return out.slice(0, limit)
}

export const listRunSteps: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const runId = params.path("run_id")
    const before = params.query("before", P.str, undefined)
    const after = params.query("after", P.str, undefined)
    const limit = params.query("limit", P.int, 100)
    const order = params.query("order", P.literal(["asc", "desc"]), "desc")
    params.query("order_by", P.literal(["created_at"]), "created_at")
    yield* params.done
    const run = yield* getRun(state, runId)
    const store = state.store
    const beforeStep = before === undefined ? undefined : store.steps.get(before)
    if (before !== undefined && beforeStep === undefined) return yield* Errors.stepCursorNotFound(before)
    const afterStep = after === undefined ? undefined : store.steps.get(after)
    if (after !== undefined && afterStep === undefined) return yield* Errors.stepCursorNotFound(after)
    const page = paginateSteps(store.runSteps(run.id), {
      before: beforeStep,
      after: afterStep,
      ascending: order === "asc",
      limit
    })
    return json(page.map((s) => Wire.step(s, store.agents.get(s.agentId))))
  })

/**
 * `POST /v1/runs/{run_id}/stream`: a reader of a background run's Redis
 * stream from `starting_after` on. The checks run in the real order, and the
 * body (`Body(None)`) is only dereferenced after them, so a request without
 * one fails with a plain 500 once the run passed.
 */
export const retrieveRunStream: Handler = (state, req, pathParams) =>
  Effect.gen(function*() {
    const body = yield* readBody(req)
    yield* checkHeaders(req)
    const params = new Params(req, pathParams)
    const runId = params.path("run_id")
    const request = params.body(optionalBody(body, StreamReader.retrieveStreamRequest), null)
    yield* params.done
    const run = yield* getRun(state, runId)
    if (!run.background) return yield* Errors.notBackground()
    const now = yield* Clock.currentTimeMillis
    yield* StreamReader.checkAge(run, now)
    if (request === null) return yield* Errors.unknownError()
    return StreamReader.resume(state, run, request, now)
  })
