/**
 * Runs: one per agent turn. Read a run, list runs, and read a run's messages, steps and
 * usage. Reached as `client.runs`.
 *
 * @since 0.1.0
 */
import { Effect, Schema, Stream } from "effect"
import { last, messageIdOf, walk } from "./internal/paging.js"
import { path } from "./internal/path.js"
import { encodeInput, type Transport } from "./internal/transport.js"
import * as LettaError from "./LettaError.js"
import { LettaMessage } from "./schema/messages.js"
import { RunListParams, RunMessageListParams, RunStepListParams } from "./schema/params.js"
import { Run, Step, UsageStatistics } from "./schema/runs.js"

/**
 * The operations on `/v1/runs`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunsApi {
  /** Reads a run. Judge its outcome by `stop_reason`, not `status`. */
  readonly retrieve: (runId: string) => Effect.Effect<Run, LettaError.LettaError>
  /**
   * Every run matching `params`, across pages, in `params.order` (default `desc`: newest
   * first). E.g. `{ active: true, background: true, agent_id }` finds the runs to resume
   * after a restart. `params.before` starts the walk after that run.
   */
  readonly list: (params?: RunListParams | undefined) => Stream.Stream<Run, LettaError.LettaError>
  /** One page of runs, as the server returns it. */
  readonly listPage: (params?: RunListParams | undefined) => Effect.Effect<ReadonlyArray<Run>, LettaError.LettaError>
  /**
   * Every message the run produced, across pages (default order `asc`). A run started with
   * `include_return_message_types` is read in one page, because the server filters it
   * after paging.
   */
  readonly messages: (
    runId: string,
    params?: RunMessageListParams | undefined
  ) => Stream.Stream<LettaMessage, LettaError.LettaError>
  /** One page of the run's messages. */
  readonly messagesPage: (
    runId: string,
    params?: RunMessageListParams | undefined
  ) => Effect.Effect<ReadonlyArray<LettaMessage>, LettaError.LettaError>
  /**
   * Every step of the run, across pages (default order `desc`). Starts after
   * `params.after`; `params.before` is refused (see `stepsPage` for windows).
   */
  readonly steps: (runId: string, params?: RunStepListParams | undefined) => Stream.Stream<Step, LettaError.LettaError>
  /** One page of the run's steps. */
  readonly stepsPage: (
    runId: string,
    params?: RunStepListParams | undefined
  ) => Effect.Effect<ReadonlyArray<Step>, LettaError.LettaError>
  /** The run's token usage. */
  readonly usage: (runId: string) => Effect.Effect<UsageStatistics, LettaError.LettaError>
  /** Deletes the run. */
  readonly delete: (runId: string) => Effect.Effect<void, LettaError.LettaError>
}

const RunPage = Schema.Array(Run)
const MessagePage = Schema.Array(LettaMessage)
const StepPage = Schema.Array(Step)
const idOf = (item: { readonly id: string }) => item.id
// The run messages endpoint puts no cap on `limit`; no agent turn comes near this.
const singlePageLimit = 100_000

/**
 * @since 0.1.0
 * @category constructors
 * @internal
 */
export const make = (transport: Transport): RunsApi => {
  const retrieve = Effect.fn("Runs.retrieve")(function*(runId: string) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    const run = yield* transport.json({
      operation: "Runs.retrieve",
      method: "GET",
      path: path`/v1/runs/${runId}`,
      response: Run
    })
    yield* Effect.annotateCurrentSpan("letta.run_status", run.status)
    return run
  })

  const fetchRuns = (operation: string, query: RunListParams) =>
    transport.json({ operation, method: "GET", path: path`/v1/runs/`, query, response: RunPage })

  const listPage = Effect.fn("Runs.listPage")(function*(params?: RunListParams) {
    const query = yield* encodeInput("Runs.listPage", RunListParams, params ?? {})
    return yield* fetchRuns("Runs.listPage", query)
  })

  // The spec says `after` continues in the sort order, but the server's run pagination
  // (`run_manager_helper._apply_pagination_async`) turns its cursors around: `before` the
  // last run of a page is the next page, whatever the order. The walk fails rather than
  // repeat runs if a server ever does what the spec says instead.
  const list = (params?: RunListParams) =>
    Effect.map(encodeInput("Runs.list", RunListParams, params ?? {}), (query) =>
      walk({
        operation: "Runs.list",
        endpoint: "/v1/runs/",
        cursorParam: "before",
        start: query.before,
        fetch: (before) => fetchRuns("Runs.list", { ...query, before }),
        cursorItem: last,
        idOf
      })).pipe(Stream.unwrap, Stream.withSpan("Runs.list"))

  const fetchMessages = (operation: string, runId: string, query: RunMessageListParams) =>
    transport.json({ operation, method: "GET", path: path`/v1/runs/${runId}/messages`, query, response: MessagePage })

  const messagesPage = Effect.fn("Runs.messagesPage")(function*(runId: string, params?: RunMessageListParams) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    const query = yield* encodeInput("Runs.messagesPage", RunMessageListParams, params ?? {})
    return yield* fetchMessages("Runs.messagesPage", runId, query)
  })

  // Message cursors are absolute and this endpoint's pages really are in the requested
  // order, so the last item is the boundary: `after` it when ascending, `before` it when not.
  const walkMessages = (runId: string, query: RunMessageListParams) => {
    const descending = query.order === "desc"
    return walk({
      operation: "Runs.messages",
      endpoint: `/v1/runs/${runId}/messages`,
      cursorParam: descending ? "before" : "after",
      start: descending ? query.before : query.after,
      fetch: (cursor) =>
        fetchMessages("Runs.messages", runId, {
          ...query,
          order: descending ? "desc" : "asc",
          [descending ? "before" : "after"]: cursor
        }),
      cursorItem: last,
      idOf: messageIdOf
    })
  }

  // A run started with `include_return_message_types` has its messages filtered by the
  // server after `limit` is applied, so one of its pages can be empty while later messages
  // remain. Such a run (one agent turn, so a bounded number of messages) is read in a single
  // page instead of being walked.
  const messages = (runId: string, params?: RunMessageListParams) =>
    Effect.gen(function*() {
      const query = yield* encodeInput("Runs.messages", RunMessageListParams, params ?? {})
      const run = yield* retrieve(runId)
      const filtered = (run.request_config?.include_return_message_types ?? null) !== null
      return filtered
        ? Stream.fromIterableEffect(fetchMessages("Runs.messages", runId, { ...query, limit: singlePageLimit }))
        : walkMessages(runId, query)
    }).pipe(Stream.unwrap, Stream.withSpan("Runs.messages", { attributes: { "letta.run_id": runId } }))

  const fetchSteps = (operation: string, runId: string, query: RunStepListParams) =>
    transport.json({ operation, method: "GET", path: path`/v1/runs/${runId}/steps`, query, response: StepPage })

  const stepsPage = Effect.fn("Runs.stepsPage")(function*(runId: string, params?: RunStepListParams) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    const query = yield* encodeInput("Runs.stepsPage", RunStepListParams, params ?? {})
    return yield* fetchSteps("Runs.stepsPage", runId, query)
  })

  // Step cursors follow the sort order (unlike run cursors): `after` the last step is the
  // next page either way. Given `before` as well, the server answers with the middle of a
  // larger window instead (`SqlalchemyBase.list_async`), which would skip steps, so a walk
  // takes no `before`.
  const steps = (runId: string, params?: RunStepListParams) =>
    Effect.gen(function*() {
      const query = yield* encodeInput("Runs.steps", RunStepListParams, params ?? {})
      if (query.before !== undefined) {
        return yield* new LettaError.InvalidRequestError({
          operation: "Runs.steps",
          description: "a walk through all steps cannot take `before`; use `stepsPage` for a bounded window"
        })
      }
      return walk({
        operation: "Runs.steps",
        endpoint: `/v1/runs/${runId}/steps`,
        cursorParam: "after",
        start: query.after,
        fetch: (after) => fetchSteps("Runs.steps", runId, { ...query, after }),
        cursorItem: last,
        idOf
      })
    }).pipe(Stream.unwrap, Stream.withSpan("Runs.steps", { attributes: { "letta.run_id": runId } }))

  const usage = Effect.fn("Runs.usage")(function*(runId: string) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    return yield* transport.json({
      operation: "Runs.usage",
      method: "GET",
      path: path`/v1/runs/${runId}/usage`,
      response: UsageStatistics
    })
  })

  const delete_ = Effect.fn("Runs.delete")(function*(runId: string) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    yield* transport.json({
      operation: "Runs.delete",
      method: "DELETE",
      path: path`/v1/runs/${runId}`,
      response: Schema.Unknown
    })
  })

  return { retrieve, list, listPage, messages, messagesPage, steps, stepsPage, usage, delete: delete_ }
}
