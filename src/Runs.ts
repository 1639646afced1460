/**
 * Runs: one per agent turn. Read a run, list runs, read a run's messages, steps and usage,
 * read a background run's stream again, and wait for a run to end. Reached as
 * `client.runs`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, Schedule, Schema, Stream } from "effect"
import { cancelAgentRuns, cancelQuietly } from "./internal/cancel.js"
import { decodeUnknownEitherSafe } from "./internal/fastDecode.js"
import { settings as streamSettings } from "./internal/lettaStream.js"
import { last, messageIdOf, walk, walkMessages } from "./internal/paging.js"
import { path } from "./internal/path.js"
import { resumeSchedule, runStream, supervise } from "./internal/resume.js"
import { clip, jsonExcerpt } from "./internal/text.js"
import { describeParseError, encodeInput, type Transport } from "./internal/transport.js"
import { unwrap } from "./internal/unwrap.js"
import * as LettaError from "./LettaError.js"
import { LettaMessage, type LettaStreamingMessage } from "./schema/messages.js"
import { RunListParams, RunMessageListParams, RunStepListParams } from "./schema/params.js"
import { RetrieveStreamRequest, type RetrieveStreamRequestEncoded } from "./schema/requests.js"
import { Run, RunCallback, Step, UsageStatistics } from "./schema/runs.js"
import type * as Streaming from "./Streaming.js"

/**
 * The body of `runs.stream`: where to start (`starting_after`, a `seq_id`; default 0, the
 * whole stream) and how the server reads it.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRequest
  extends Pick<RetrieveStreamRequestEncoded, "starting_after" | "include_pings" | "poll_interval" | "batch_size">
{}

/**
 * How `runs.await` waits.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwaitOptions {
  /**
   * When to read the run again, fed the run as last read (default
   * {@link defaultAwaitSchedule}). A schedule that ends before the run does fails the wait
   * with a `TimeoutError`.
   */
  readonly schedule?: Schedule.Schedule<unknown, Run> | undefined
  /** Give up after this long with a `TimeoutError` (limit `total`). Default: no limit. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * When the caller is interrupted while waiting, also ask the server to cancel the run
   * (best effort, bounded by `Streaming.cancelTimeout`, a failure only logged). A `timeout`
   * is not an interruption: the run is left alone. Default false.
   */
  readonly cancelOnInterrupt?: boolean | undefined
}

/**
 * The default polling of `runs.await`: at once, then after 250 ms, doubling up to every 5 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultAwaitSchedule: Schedule.Schedule<Duration.Duration> = Schedule.exponential("250 millis").pipe(
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(5)))
)

const terminalStatuses: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"])

// Every stop reason the server maps to a failed run (`StopReasonType.run_status`). An
// unknown newer one is not presumed an error: the status decides then.
const errorStopReasons: ReadonlySet<string> = new Set([
  "error",
  "llm_api_error",
  "invalid_llm_response",
  "invalid_tool_call",
  "no_tool_call",
  "max_tokens_exceeded",
  "context_window_overflow_in_system_prompt",
  "insufficient_credits"
])

/**
 * How a finished run ended, judged by its stop reason first: a `completed` run can carry
 * `llm_api_error`.
 */
const outcome = (run: Run): Effect.Effect<Run, LettaError.RunFailedError | LettaError.RunCancelledError> =>
  run.status === "cancelled" || run.stop_reason === "cancelled"
    ? Effect.fail(new LettaError.RunCancelledError({ run }))
    : run.status === "failed" || (run.stop_reason != null && errorStopReasons.has(run.stop_reason))
    ? Effect.fail(new LettaError.RunFailedError({ run }))
    : Effect.succeed(run)

const decodeCallbackBody = decodeUnknownEitherSafe(RunCallback)

/**
 * Decodes the JSON body the server POSTs to a run's `callback_url` (as text, or already
 * parsed). Completion times are read as UTC; judge the outcome by
 * `metadata.result.stop_reason`, as for a run. The server signs nothing: check the
 * `run_id` against runs you started before trusting it.
 *
 * @since 0.1.0
 * @category callbacks
 */
export const decodeCallback = (body: unknown): Effect.Effect<RunCallback, LettaError.DecodeError> =>
  Effect.suspend(() => {
    const fail = (description: string) =>
      new LettaError.DecodeError({
        method: "POST",
        url: "callback_url",
        description,
        excerpt: typeof body === "string" ? clip(body) : jsonExcerpt(body)
      })
    let json = body
    if (typeof body === "string") {
      try {
        json = JSON.parse(body)
      } catch (error) {
        return Effect.fail(fail(`the callback body is not JSON (${String(error)})`))
      }
    }
    return Effect.mapError(decodeCallbackBody(json), (error) => fail(describeParseError(error)))
  })

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
  /**
   * Reads a background run's stream (again) from after `request.starting_after` (default
   * 0: from its start), e.g. after a restart; find the runs to pick up with
   * `runs.list({ active: true, background: true, agent_id })`, which lists async runs too:
   * leave out those whose `metadata.run_type` is `send_message_async`. Ends like any
   * stream, and resumes by itself when its connection drops (`options.resume`).
   *
   * The run is read first (one `GET /v1/runs/{run_id}`, not repeated on resumes): a run
   * started with `createAsync` has no stream, and asking for one would hang until the
   * server gives up, so it fails with `RunNotStreamableError` (`async_run`) without asking,
   * as does a foreground run (`not_background`). A stream older than the server keeps them
   * (3 h) fails with `GoneError`, a server without stream storage with `ServerError`
   * (reason `no_stream_storage`).
   */
  readonly stream: (
    runId: string,
    request?: StreamRequest | undefined,
    options?: Streaming.StreamOptions | undefined
  ) => Stream.Stream<LettaStreamingMessage, LettaError.LettaError>
  /**
   * Polls the run until its status is terminal (`completed`, `failed` or `cancelled`) and
   * returns it. An error stop reason fails with `RunFailedError`, even on a `completed`
   * run; a cancelled run fails with `RunCancelledError`; both carry the run. Interrupting
   * the caller stops the polling.
   */
  readonly await: (runId: string, options?: AwaitOptions | undefined) => Effect.Effect<Run, LettaError.LettaError>
}

const RunPage = Schema.Array(Run)
// The resume endpoint's schema also lists `agent_id`, `run_id` and `otid`, which it ignores.
const StreamRequestSchema = RetrieveStreamRequest.pick("starting_after", "include_pings", "poll_interval", "batch_size")
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
  const walkRunMessages = (runId: string, query: RunMessageListParams) =>
    walkMessages({
      operation: "Runs.messages",
      endpoint: `/v1/runs/${runId}/messages`,
      query,
      descending: query.order === "desc",
      oldestFirstPages: false,
      fetch: (page) => fetchMessages("Runs.messages", runId, page),
      idOf: messageIdOf
    })

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
        : walkRunMessages(runId, query)
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

  const stream = (runId: string, request?: StreamRequest, options?: Streaming.StreamOptions) =>
    Effect.gen(function*() {
      const { starting_after, ...body } = yield* encodeInput("Runs.stream", StreamRequestSchema, request ?? {})
      const run = yield* retrieve(runId)
      if (run.metadata?.run_type === "send_message_async") {
        return yield* new LettaError.RunNotStreamableError({ runId, reason: "async_run" })
      }
      if (run.background === false) return yield* new LettaError.RunNotStreamableError({ runId, reason: "not_background" })
      const from = { runId, seqId: starting_after ?? 0 }
      const resume = { include_pings: true, ...body }
      const schedule = resumeSchedule(options)
      return supervise({
        transport,
        settings: streamSettings(transport.streamTimeouts, options),
        span: {
          name: "Runs.stream",
          attributes: { "letta.run_id": runId, "letta.agent_id": run.agent_id, "letta.starting_after": from.seqId }
        },
        first: (settings, span) => runStream(transport, runId, { ...resume, starting_after: from.seqId }, settings, span),
        resume: schedule === undefined ? undefined : { schedule, body: resume },
        cancel: options?.cancelOnInterrupt === true
          ? (id) => cancelAgentRuns(transport, "Messages.cancel", run.agent_id, { run_ids: [id] })
          : undefined,
        from
      })
    }).pipe(unwrap)

  const await_ = Effect.fn("Runs.await")(function*(runId: string, options?: AwaitOptions) {
    yield* Effect.annotateCurrentSpan("letta.run_id", runId)
    let agentId: string | undefined
    const read = Effect.tap(retrieve(runId), (run) => {
      agentId = run.agent_id
    })
    const giveUp = (timeout: Duration.Duration) =>
      new LettaError.TimeoutError({ method: "GET", url: `/v1/runs/${runId}`, limit: "total", timeout, runId })
    const poll = Effect.gen(function*() {
      const clock = yield* Effect.clock
      const started = clock.unsafeCurrentTimeMillis()
      const driver = yield* Schedule.driver(options?.schedule ?? defaultAwaitSchedule)
      let run = yield* read
      while (!terminalStatuses.has(run.status)) {
        if (Either.isLeft(yield* Effect.either(driver.next(run)))) {
          return yield* giveUp(Duration.millis(clock.unsafeCurrentTimeMillis() - started))
        }
        run = yield* read
      }
      return run
    })
    const limited = options?.timeout === undefined ? poll : Effect.suspend(() => {
      const timeout = Duration.decode(options.timeout!)
      return Effect.timeoutFail(poll, { duration: timeout, onTimeout: () => giveUp(timeout) })
    })
    const run = yield* (options?.cancelOnInterrupt === true
      ? Effect.onInterrupt(limited, () =>
        agentId === undefined
          ? Effect.logWarning(`could not cancel run ${runId}: interrupted before the run was read`)
          : cancelQuietly(runId, cancelAgentRuns(transport, "Messages.cancel", agentId, { run_ids: [runId] })))
      : limited)
    yield* Effect.annotateCurrentSpan("letta.stop_reason", run.stop_reason ?? "none")
    return yield* outcome(run)
  })

  return {
    retrieve,
    list,
    listPage,
    messages,
    messagesPage,
    steps,
    stepsPage,
    usage,
    delete: delete_,
    stream,
    await: await_
  }
}
