/**
 * An agent's messages: send (and wait for the reply, or start an async run), page through
 * the history, cancel runs, compact and reset the context. Reached as
 * `client.agents.messages`.
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Option, Schema, Stream } from "effect"
import { cancelAgentRuns } from "./internal/cancel.js"
import { settings as streamSettings, streamMessages } from "./internal/lettaStream.js"
import { stampSend, withOtids } from "./internal/otids.js"
import { clientSideTypeFilter, messageIdOf, walkMessages } from "./internal/paging.js"
import { path } from "./internal/path.js"
import { sendResume, supervise } from "./internal/resume.js"
import { encodeInput, type Transport } from "./internal/transport.js"
import { unwrap } from "./internal/unwrap.js"
import type * as LettaError from "./LettaError.js"
import { AgentState } from "./schema/agents.js"
import { LettaMessage } from "./schema/messages.js"
import type { LettaStreamingMessage } from "./schema/messages.js"
import { CompactionRequest } from "./schema/modelSettings.js"
import { MessageListParams } from "./schema/params.js"
import {
  CancelAgentRunRequest,
  LettaAsyncRequest,
  type LettaAsyncRequestEncoded,
  LettaRequest,
  type LettaRequestEncoded,
  LettaStreamingRequest,
  type LettaStreamingRequestEncoded,
  ResetMessagesRequest
} from "./schema/requests.js"
import { CancelRunsResponse, CompactionResponse, LettaResponse } from "./schema/responses.js"
import { Run, type UsageStatistics } from "./schema/runs.js"
import * as Runs from "./Runs.js"
import type * as Streaming from "./Streaming.js"

/**
 * The operations on `/v1/agents/{agent_id}/messages` and its siblings.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessagesApi {
  /**
   * Sends a message and waits for the agent's whole reply (`streaming: false`). Each
   * message gets an `otid` unless it has one (`input` is sent as its user message). Retried
   * only when the request never left the client: the server does not deduplicate this
   * endpoint, so a retry after it may have arrived could run the turn twice (see `Retry`).
   */
  readonly create: (agentId: string, request: LettaRequestEncoded) => Effect.Effect<LettaResponse, LettaError.LettaError>
  /**
   * Sends a message and streams the agent's turn as it happens (`POST .../messages` with
   * `streaming: true`; pings on unless `include_pings: false`). Token deltas with
   * `stream_tokens: true` (see `Accumulator` to merge them). The stream ends after `[DONE]`,
   * and fails with a `StreamError` for `event: error`, a `StreamCancelledError` when the run
   * is cancelled, and a `StreamTruncatedError` when it stops without a terminal event.
   * With `background: true`, a connection that drops is resumed from the last `seq_id`
   * instead (`options.resume`). Interrupting it aborts the request (and, with
   * `options.cancelOnInterrupt`, cancels the run). Messages get `otid`s as with `create`,
   * and the send itself is retried only when it never left the client (also with
   * `background: true`: this endpoint does not deduplicate).
   */
  readonly stream: (
    agentId: string,
    request: StreamRequest,
    options?: Streaming.StreamOptions | undefined
  ) => Stream.Stream<LettaStreamingMessage, LettaError.LettaError>
  /** As `stream`, through the deprecated `POST .../messages/stream` endpoint. */
  readonly streamLegacy: (
    agentId: string,
    request: StreamRequest,
    options?: Streaming.StreamOptions | undefined
  ) => Stream.Stream<LettaStreamingMessage, LettaError.LettaError>
  /**
   * Starts the turn as an async run and returns the `Run` at once (status `created`). Poll
   * it with `client.runs.retrieve`. Messages get `otid`s, and the request is retried only
   * when it never left the client, as with `create`.
   */
  readonly createAsync: (
    agentId: string,
    request: LettaAsyncRequestEncoded
  ) => Effect.Effect<Run, LettaError.LettaError>
  /**
   * Starts the turn as an async run, waits for it with `runs.await` (`options` as there),
   * then reads the run's messages and usage. An error stop reason fails with
   * `RunFailedError`, a cancellation with `RunCancelledError`.
   */
  readonly createAsyncAndAwait: (
    agentId: string,
    request: LettaAsyncRequestEncoded,
    options?: Runs.AwaitOptions | undefined
  ) => Effect.Effect<AsyncRunResult, LettaError.LettaError>
  /**
   * Every message of the history, across pages, in `params.order` (default `desc`:
   * newest first). `params.limit` sets the page size. Message types newer than this client
   * arrive as `UnknownMessage`s. A page that comes back empty ends the walk; with legacy
   * agents that hide `send_message` tool returns, a page of only hidden messages would too,
   * so keep the page size above 1 for them.
   */
  readonly list: (
    agentId: string,
    params?: MessageListParams | undefined
  ) => Stream.Stream<LettaMessage, LettaError.LettaError>
  /**
   * One page exactly as the server returns it. Note that with `order: "desc"` the agents
   * endpoint returns the newest `limit` messages oldest first.
   */
  readonly listPage: (
    agentId: string,
    params?: MessageListParams | undefined
  ) => Effect.Effect<ReadonlyArray<LettaMessage>, LettaError.LettaError>
  /**
   * Cancels the given runs. Without `run_ids` the server cancels the agent's latest tracked
   * send (even one that has finished) or, failing that, its active runs; with nothing to
   * cancel it answers 409 (`ConflictError` with reason `no_active_runs`). Runs that had
   * already finished are also reported as `"cancelled"`. Retried after
   * transient failures like a read: cancelling twice cancels no more, though a repeat after
   * a cancel that did arrive can answer `no_active_runs`.
   */
  readonly cancel: (
    agentId: string,
    request?: typeof CancelAgentRunRequest.Encoded | undefined
  ) => Effect.Effect<CancelRunsResponse, LettaError.LettaError>
  /**
   * Summarizes older messages to free context window space. Like a send, retried only when
   * the request never left the client.
   */
  readonly compact: (
    agentId: string,
    request?: typeof CompactionRequest.Encoded | undefined
  ) => Effect.Effect<CompactionResponse, LettaError.LettaError>
  /**
   * Empties the agent's context window except its system message. The stored history is
   * kept and can still be listed. The server returns the agent only to clients it takes
   * for pre-1.0 SDKs, so this is usually `None`.
   */
  readonly reset: (
    agentId: string,
    request?: typeof ResetMessagesRequest.Encoded | undefined
  ) => Effect.Effect<Option.Option<AgentState>, LettaError.LettaError>
}

/**
 * The body of a streaming send: everything of `LettaStreamingRequest` but `streaming`, which
 * the operation sets.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRequest extends Omit<LettaStreamingRequestEncoded, "streaming"> {}

/**
 * What `createAsyncAndAwait` returns: the finished run, its messages (oldest first) and
 * its token usage.
 *
 * @since 0.1.0
 * @category models
 */
export interface AsyncRunResult {
  readonly run: Run
  readonly messages: ReadonlyArray<LettaMessage>
  readonly usage: UsageStatistics
}

const MessagePage = Schema.Array(LettaMessage)

/**
 * @since 0.1.0
 * @category constructors
 * @internal
 */
export const make = (transport: Transport): MessagesApi => {
  const create = Effect.fn("Messages.create")(function*(agentId: string, request: LettaRequestEncoded) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    const body = yield* stampSend(yield* encodeInput("Messages.create", LettaRequest, request))
    const response = yield* transport.json({
      operation: "Messages.create",
      method: "POST",
      path: path`/v1/agents/${agentId}/messages`,
      body,
      response: LettaResponse
    })
    yield* Effect.annotateCurrentSpan("letta.stop_reason", response.stop_reason.stop_reason)
    return response
  })

  const streamVia = (operation: string, endpoint: "messages" | "messages/stream") =>
  (agentId: string, request: StreamRequest, options?: Streaming.StreamOptions) =>
    Effect.gen(function*() {
      const { body, otids } = yield* withOtids(
        yield* encodeInput(operation, LettaStreamingRequest, { ...request, streaming: true })
      )
      const built = yield* transport.buildRequest({
        operation,
        method: "POST",
        path: endpoint === "messages"
          ? path`/v1/agents/${agentId}/messages`
          : path`/v1/agents/${agentId}/messages/stream`,
        // Pings make the server send headers at once; its default, stated so it holds.
        body: { include_pings: true, ...body },
        accept: "text/event-stream"
      })
      return supervise({
        transport,
        settings: streamSettings(transport.streamTimeouts, options),
        span: { name: operation, attributes: { "letta.agent_id": agentId, "letta.otids": otids } },
        first: (settings, span) => streamMessages(transport, built, settings, span),
        resume: sendResume(body, options),
        cancel: options?.cancelOnInterrupt === true
          ? (runId) => cancelAgentRuns(transport, "Messages.cancel", agentId, { run_ids: [runId] })
          : undefined
      })
    }).pipe(unwrap)

  const createAsync = Effect.fn("Messages.createAsync")(function*(agentId: string, request: LettaAsyncRequestEncoded) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    const body = yield* stampSend(yield* encodeInput("Messages.createAsync", LettaAsyncRequest, request))
    const run = yield* transport.json({
      operation: "Messages.createAsync",
      method: "POST",
      path: path`/v1/agents/${agentId}/messages/async`,
      body,
      response: Run
    })
    yield* Effect.annotateCurrentSpan("letta.run_id", run.id)
    return run
  })

  const runs = Runs.make(transport)
  const createAsyncAndAwait = Effect.fn("Messages.createAsyncAndAwait")(
    function*(agentId: string, request: LettaAsyncRequestEncoded, options?: Runs.AwaitOptions) {
      yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
      const started = yield* createAsync(agentId, request)
      yield* Effect.annotateCurrentSpan("letta.run_id", started.id)
      const run = yield* runs.await(started.id, options)
      const [messages, usage] = yield* Effect.all([
        Effect.map(Stream.runCollect(runs.messages(run.id)), Chunk.toReadonlyArray),
        runs.usage(run.id)
      ])
      return { run, messages, usage }
    }
  )

  const fetchPage = (operation: string, agentId: string, query: MessageListParams) =>
    transport.json({
      operation,
      method: "GET",
      path: path`/v1/agents/${agentId}/messages`,
      query,
      response: MessagePage
    })

  const listPage = Effect.fn("Messages.listPage")(function*(agentId: string, params?: MessageListParams) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    const query = yield* encodeInput("Messages.listPage", MessageListParams, params ?? {})
    return yield* fetchPage("Messages.listPage", agentId, query)
  })

  const list = (agentId: string, params?: MessageListParams) =>
    Effect.map(encodeInput("Messages.list", MessageListParams, params ?? {}), (query) => {
      const filter = clientSideTypeFilter(query)
      // A `desc` page of this endpoint arrives oldest first.
      return filter.apply(walkMessages({
        operation: "Messages.list",
        endpoint: `/v1/agents/${agentId}/messages`,
        query: filter.query,
        descending: (query.order ?? "desc") === "desc",
        oldestFirstPages: true,
        fetch: (page) => fetchPage("Messages.list", agentId, page),
        idOf: messageIdOf
      }))
    }).pipe(
      Stream.unwrap,
      Stream.withSpan("Messages.list", { attributes: { "letta.agent_id": agentId } })
    )

  const cancel = Effect.fn("Messages.cancel")(
    function*(agentId: string, request?: typeof CancelAgentRunRequest.Encoded) {
      yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
      const body = yield* encodeInput("Messages.cancel", CancelAgentRunRequest, request ?? {})
      return yield* cancelAgentRuns(transport, "Messages.cancel", agentId, body)
    }
  )

  const compact = Effect.fn("Messages.compact")(function*(agentId: string, request?: typeof CompactionRequest.Encoded) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    const body = yield* encodeInput("Messages.compact", CompactionRequest, request ?? {})
    return yield* transport.json({
      operation: "Messages.compact",
      method: "POST",
      path: path`/v1/agents/${agentId}/summarize`,
      body,
      response: CompactionResponse
    })
  })

  const reset = Effect.fn("Messages.reset")(function*(agentId: string, request?: typeof ResetMessagesRequest.Encoded) {
    yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
    const body = yield* encodeInput("Messages.reset", ResetMessagesRequest, request ?? {})
    return yield* transport.json({
      operation: "Messages.reset",
      method: "PATCH",
      path: path`/v1/agents/${agentId}/reset-messages`,
      body,
      // Emptying the context twice leaves it as empty as once.
      idempotent: true,
      response: Schema.OptionFromNullOr(AgentState)
    })
  })

  return {
    create,
    stream: streamVia("Messages.stream", "messages"),
    streamLegacy: streamVia("Messages.streamLegacy", "messages/stream"),
    createAsync,
    createAsyncAndAwait,
    list,
    listPage,
    cancel,
    compact,
    reset
  }
}
