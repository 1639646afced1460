/**
 * Conversations: separate threads with one agent. Send to one (streamed by default, or as
 * JSON), page through its messages, cancel its runs. The id `default` with an `agent_id`
 * addresses the agent's own thread. Reached as `client.conversations`.
 *
 * Sends to a conversation are serialized by the server: while a run holds it, another send
 * fails with a `ConflictError` (reason `conversation_busy`) naming that run. That error is
 * never retried.
 *
 * @since 0.1.0
 */
import { Effect, Schema, Stream } from "effect"
import { cancelConversationRuns } from "./internal/cancel.js"
import { settings as streamSettings, streamMessages } from "./internal/lettaStream.js"
import { stampSend, withOtids } from "./internal/otids.js"
import { clientSideTypeFilter, messageIdOf, walkMessages } from "./internal/paging.js"
import { path } from "./internal/path.js"
import { sendResume, supervise } from "./internal/resume.js"
import { encodeInput, type Transport } from "./internal/transport.js"
import { unwrap } from "./internal/unwrap.js"
import type * as LettaError from "./LettaError.js"
import { Conversation, CreateConversation } from "./schema/conversations.js"
import { LettaMessage } from "./schema/messages.js"
import type { LettaStreamingMessage } from "./schema/messages.js"
import { ConversationCancelParams, ConversationMessageListParams } from "./schema/params.js"
import { ConversationMessageRequest, type ConversationMessageRequestEncoded } from "./schema/requests.js"
import type { CancelRunsResponse } from "./schema/responses.js"
import { LettaResponse } from "./schema/responses.js"
import * as Runs from "./Runs.js"
import type * as Streaming from "./Streaming.js"

/**
 * The body of a non-streaming send: the streaming options do not apply.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateRequest
  extends Omit<ConversationMessageRequestEncoded, "streaming" | "stream_tokens" | "include_pings" | "background">
{}

/**
 * The body of a streaming send: everything but `streaming`, which the operation sets.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRequest extends Omit<ConversationMessageRequestEncoded, "streaming"> {}

/**
 * Options of a streaming send to a conversation.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions extends Streaming.StreamOptions {
  /**
   * What to do when the conversation is busy with another run (a `ConflictError` with
   * reason `conversation_busy`): fail (`"fail"`, the default), or stream that run instead,
   * from its start (`"attach"`, through `runs.stream`). A busy run that has no stream to
   * read (one streamed in the foreground) still fails with the `ConflictError`.
   */
  readonly onBusy?: "fail" | "attach" | undefined
}

/**
 * The operations on a conversation's messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConversationMessagesApi {
  /**
   * Sends a message and waits for the whole reply as JSON (`streaming: false`, which this
   * endpoint does not default to). Messages get `otid`s as with `agents.messages.create`;
   * retried only when the request never left the client.
   */
  readonly create: (
    conversationId: string,
    request: CreateRequest
  ) => Effect.Effect<LettaResponse, LettaError.LettaError>
  /**
   * Sends a message and streams the turn; the same end-of-stream rules as
   * `agents.messages.stream`, and with `background: true` the same resuming. Messages get
   * `otid`s, made once per call. With `background: true` the server deduplicates a repeated
   * send by those otids (it answers with the first attempt's run, replayed from its start),
   * so the request is retried after any transient failure before the stream starts;
   * otherwise only when it never left the client.
   */
  readonly stream: (
    conversationId: string,
    request: StreamRequest,
    options?: StreamOptions | undefined
  ) => Stream.Stream<LettaStreamingMessage, LettaError.LettaError>
  /**
   * Every message of the conversation, across pages, in `params.order` (default `desc`:
   * newest first). Pass `agent_id` with the `default` conversation.
   */
  readonly list: (
    conversationId: string,
    params?: ConversationMessageListParams | undefined
  ) => Stream.Stream<LettaMessage, LettaError.LettaError>
  /** One page, as the server returns it. */
  readonly listPage: (
    conversationId: string,
    params?: ConversationMessageListParams | undefined
  ) => Effect.Effect<ReadonlyArray<LettaMessage>, LettaError.LettaError>
}

/**
 * The operations on `/v1/conversations`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConversationsApi {
  /** Creates a conversation with an agent. Retried only when the request never left the client. */
  readonly create: (
    agentId: string,
    request?: typeof CreateConversation.Encoded | undefined
  ) => Effect.Effect<Conversation, LettaError.LettaError>
  /** Reads a conversation. */
  readonly retrieve: (conversationId: string) => Effect.Effect<Conversation, LettaError.LettaError>
  /** Cancels the conversation's created and running runs; retried like a read. */
  readonly cancel: (
    conversationId: string,
    params?: ConversationCancelParams | undefined
  ) => Effect.Effect<CancelRunsResponse, LettaError.LettaError>
  /** The conversation's messages. */
  readonly messages: ConversationMessagesApi
}

const MessagePage = Schema.Array(LettaMessage)

/**
 * @since 0.1.0
 * @category constructors
 * @internal
 */
export const make = (transport: Transport): ConversationsApi => {
  const create = Effect.fn("Conversations.create")(
    function*(agentId: string, request?: typeof CreateConversation.Encoded) {
      yield* Effect.annotateCurrentSpan("letta.agent_id", agentId)
      const body = yield* encodeInput("Conversations.create", CreateConversation, request ?? {})
      return yield* transport.json({
        operation: "Conversations.create",
        method: "POST",
        path: path`/v1/conversations/`,
        query: { agent_id: agentId },
        body,
        response: Conversation
      })
    }
  )

  const retrieve = Effect.fn("Conversations.retrieve")(function*(conversationId: string) {
    yield* Effect.annotateCurrentSpan("letta.conversation_id", conversationId)
    return yield* transport.json({
      operation: "Conversations.retrieve",
      method: "GET",
      path: path`/v1/conversations/${conversationId}`,
      response: Conversation
    })
  })

  const cancel = Effect.fn("Conversations.cancel")(function*(conversationId: string, params?: ConversationCancelParams) {
    yield* Effect.annotateCurrentSpan("letta.conversation_id", conversationId)
    const query = yield* encodeInput("Conversations.cancel", ConversationCancelParams, params ?? {})
    return yield* cancelConversationRuns(transport, "Conversations.cancel", conversationId, query)
  })

  const createMessage = Effect.fn("Conversations.messages.create")(
    function*(conversationId: string, request: CreateRequest) {
      yield* Effect.annotateCurrentSpan("letta.conversation_id", conversationId)
      const body = yield* stampSend(
        yield* encodeInput("Conversations.messages.create", ConversationMessageRequest, { ...request, streaming: false })
      )
      const response = yield* transport.json({
        operation: "Conversations.messages.create",
        method: "POST",
        path: path`/v1/conversations/${conversationId}/messages`,
        body,
        response: LettaResponse
      })
      yield* Effect.annotateCurrentSpan("letta.stop_reason", response.stop_reason.stop_reason)
      return response
    }
  )

  const runs = Runs.make(transport)
  // The busy run is streamed from its start; one that has no stream to read leaves the
  // conflict as it was.
  const attach = (conflict: LettaError.ConflictError, runId: string, options: StreamOptions | undefined) =>
    runs.stream(runId, { starting_after: 0 }, options).pipe(
      Stream.catchTag("RunNotStreamableError", () => Stream.fail(conflict))
    )

  const stream = (conversationId: string, request: StreamRequest, options?: StreamOptions) =>
    Effect.gen(function*() {
      const operation = "Conversations.messages.stream"
      const { body, otids } = yield* withOtids(
        yield* encodeInput(operation, ConversationMessageRequest, { ...request, streaming: true })
      )
      const built = yield* transport.buildRequest({
        operation,
        method: "POST",
        path: path`/v1/conversations/${conversationId}/messages`,
        body: { include_pings: true, ...body },
        accept: "text/event-stream"
      })
      // The conversation has one run at a time, so cancelling its runs cancels this one.
      const agentId = body.agent_id ?? undefined
      const sent = supervise({
        transport,
        settings: streamSettings(transport.streamTimeouts, options),
        span: {
          name: operation,
          attributes: {
            "letta.conversation_id": conversationId,
            "letta.otids": otids,
            ...(agentId === undefined ? {} : { "letta.agent_id": agentId })
          }
        },
        first: (settings, span) =>
          streamMessages(
            transport,
            built,
            settings,
            span,
            // The server maps these otids to the run it starts and answers a repeat with that
            // run's stream (PROTOCOL.md §10); only background runs have a stream to replay.
            { idempotent: body.background === true }
          ),
        resume: sendResume(body, options),
        cancel: options?.cancelOnInterrupt === true
          ? () => cancelConversationRuns(transport, "Conversations.cancel", conversationId, { agent_id: agentId })
          : undefined
      })
      return options?.onBusy === "attach"
        ? Stream.catchTag(sent, "ConflictError", (conflict) =>
          conflict.reason === "conversation_busy" && conflict.runId !== undefined
            ? attach(conflict, conflict.runId, options)
            : Stream.fail(conflict))
        : sent
    }).pipe(unwrap)

  const fetchPage = (operation: string, conversationId: string, query: ConversationMessageListParams) =>
    transport.json({
      operation,
      method: "GET",
      path: path`/v1/conversations/${conversationId}/messages`,
      query,
      response: MessagePage
    })

  const listPage = Effect.fn("Conversations.messages.listPage")(
    function*(conversationId: string, params?: ConversationMessageListParams) {
      yield* Effect.annotateCurrentSpan("letta.conversation_id", conversationId)
      const query = yield* encodeInput("Conversations.messages.listPage", ConversationMessageListParams, params ?? {})
      return yield* fetchPage("Conversations.messages.listPage", conversationId, query)
    }
  )

  // Cursors are absolute message ids. A real conversation returns `desc` pages newest first;
  // `default` takes the agents endpoint's path, whose `desc` pages come oldest first. This endpoint ignores unknown cursors, which the walk's repeat check
  // turns into an error instead of a loop.
  const list = (conversationId: string, params?: ConversationMessageListParams) =>
    Effect.map(encodeInput("Conversations.messages.list", ConversationMessageListParams, params ?? {}), (query) => {
      const filter = clientSideTypeFilter(query)
      return filter.apply(walkMessages({
        operation: "Conversations.messages.list",
        endpoint: `/v1/conversations/${conversationId}/messages`,
        query: filter.query,
        descending: (query.order ?? "desc") === "desc",
        oldestFirstPages: conversationId === "default",
        fetch: (page) => fetchPage("Conversations.messages.list", conversationId, page),
        idOf: messageIdOf
      }))
    }).pipe(
      Stream.unwrap,
      Stream.withSpan("Conversations.messages.list", { attributes: { "letta.conversation_id": conversationId } })
    )

  return {
    create,
    retrieve,
    cancel,
    messages: { create: createMessage, stream, list, listPage }
  }
}
