/**
 * An in-process, Letta-compatible HTTP server on 127.0.0.1, faithful to the
 * real server's wire behaviour: the same status codes and error bodies, JSON
 * with explicit `null`s and the server's date formats, foreground SSE in step
 * and token mode with pings, run tracking, conversations with their lock, and
 * message paging.
 *
 * ## Endpoints (under `/v1`, also mounted under `/latest`)
 *
 * - `POST /agents/`, `GET|DELETE /agents/{agent_id}`, `PATCH /agents/{agent_id}/reset-messages`,
 *   `POST /agents/{agent_id}/summarize`
 * - `GET|POST /agents/{agent_id}/messages` (JSON or, with `streaming: true`, SSE),
 *   `POST /agents/{agent_id}/messages/stream|async|cancel`
 * - `POST|GET /conversations/`, `GET /conversations/{conversation_id}`,
 *   `GET|POST /conversations/{conversation_id}/messages` (SSE unless `streaming: false`),
 *   `POST /conversations/{conversation_id}/cancel|stream`
 * - `GET /runs/`, `GET /runs/active`, `GET|DELETE /runs/{run_id}`,
 *   `GET /runs/{run_id}/messages|usage|steps`
 *
 * ## The scripted model
 *
 * Every agent answers with a deterministic script instead of an LLM. For the
 * input text `T` (the request's `input`, or its last user message, without
 * the stream directives below) one step persists the user message(s) (echoing
 * their `otid`) and ONE assistant message that lists as a `reasoning_message`
 * (`The user said "T". I'll answer.`) and an `assistant_message`
 * (`You said: T`) sharing its `id`, with distinct `otid`s. Token counts derive
 * from the text lengths (about four characters per token); the stop reason is
 * `end_turn`.
 *
 * Directives in `T` reach the real server's error paths through ordinary requests:
 *
 * - `/llm-error <type>`: the step fails with a provider error, `<type>` one of
 *   `llm_rate_limit` (429), `llm_timeout` (504), `llm_insufficient_credits` (402),
 *   `llm_authentication` (401), `mcp_connection_error` (502), `llm_bad_request` (400)
 *   or `llm_error` (500, also used for unknown types). Non-streaming sends answer
 *   with that status and the `{"error": {"type", "message", "detail"}}` envelope;
 *   streams answer 200 with `stop_reason`, `event: error` and `[DONE]`; async runs
 *   end `failed` with `stop_reason: "error"` and a string `metadata.error`.
 * - `/fail [message]`: the step raises a plain exception: a non-streaming send
 *   answers 500 `{"detail": "An unknown error occurred"}`, a stream reports an
 *   `internal_error`, an async run ends `failed`.
 *
 * (Both must start the text, once the stream directives are taken out.)
 *
 * ## Streams
 *
 * A foreground stream is an initial ping carrying `run_id` (with
 * `include_pings`, the default), then the turn, then `stop_reason`,
 * `usage_statistics` and `[DONE]`; the status line goes out with the first
 * event. With `stream_tokens: true` and a model the real server can
 * token-stream (provider `openai`, `anthropic`, …; others fall back to step
 * mode) the reasoning and the reply come as word-sized deltas that all carry
 * the persisted assistant message id, each part with
 * `otid = generate_otid_from_id(id, index)`. With `include_pings` a keepalive
 * ping follows every `keepaliveInterval` (default 20 s) without an event, and
 * a stream that has carried only pings for `maxStreamSilence` (default 30 min)
 * ends without a terminal event. Both use the Clock of the runtime that made
 * the server, so `TestClock.adjust` drives them. A client that goes away does
 * not stop the run (the real response is shielded): it finishes and is recorded.
 *
 * Stream directives can go anywhere in `T` (`hello /slow 500 /cut 3`) and are
 * removed before the model reads it (the persisted user message keeps them);
 * non-streaming sends ignore them:
 *
 * - `/slow <ms>`: wait `<ms>` on the server's clock before each event after the
 *   initial ping (keepalive pings are not delayed).
 * - `/cut <n>`: destroy the socket after `<n>` events (pings included), with no
 *   terminal event; the run still completes.
 * - `/end <variant>`: how the stream ends (PROTOCOL §1.4 and §4), the run
 *   recorded as the real server would:
 *   - `error-after-output`: the output, `stop_reason: llm_api_error`, `event: error`
 *     with an `internal_error` `LettaErrorMessage`, EOF without `[DONE]`; the run
 *     is `completed` with `stop_reason: "llm_api_error"`.
 *   - `error-plain`: the output, then the response wrapper's
 *     `event: error` / `{"error": "…", "code": "INTERNAL_SERVER_ERROR"}` (`json.dumps`
 *     spacing), EOF; the run `failed` with `stop_reason: "error"` and a
 *     `stream_incomplete` error.
 *   - `cancelled`: the output, then the cancellation wrapper's
 *     `data: {"message_type": "stop_reason", "stop_reason": "cancelled"}`, EOF; the
 *     run is cancelled as by `/cancel`.
 *   - `cancelled-step`: the normal tail with `stop_reason: cancelled` (usage and
 *     `[DONE]` included); the run `cancelled`.
 *   - `cancelled-event`: the output, then `event: cancelled` /
 *     `{"message": "Run was cancelled"}`, EOF; the run cancelled as by `/cancel`.
 *   - `retry`: part of a first response (never persisted, its own id), then
 *     `stop_reason: error`, then the real response and the normal tail; `completed`.
 *   - `no-done`: the normal tail without `[DONE]`; `completed`.
 *   - `pings-only`: the model never answers: only pings (the initial one and
 *     keepalives), then EOF after `maxStreamSilence`; the run `failed` as
 *     `stream_incomplete`. Without pings the stream just hangs.
 *
 * ## Background streams
 *
 * The server behaves like one with Redis. With `background: true` (agents
 * `/messages` with `streaming: true`, `/messages/stream`, conversation sends)
 * the turn runs in a server fiber that stores every chunk in the run's
 * emulated Redis stream, numbered from `seq_id` 1 (the initial ping,
 * `stop_reason`, usage and `[DONE]` included), and flushed as the real writer
 * does (at once for the first chunk, then at 50 chunks, at the terminal chunk,
 * or after 0.5 s). The response reads that stream back: `"seq_id":null` and
 * `"run_id":null` are filled in (so messages, pings and error events show their
 * number, `stop_reason`, usage and `[DONE]` do not), the reader returns at the
 * first `[DONE]` or `event: error`, and keepalive pings carry the last `seq_id`
 * read. A client that goes away (or `/cut`, which cuts only that response)
 * never stops the run; `/slow` and `/end` act on the writer, and the run is
 * recorded from what was stored (e.g. `error-after-output` fails the run).
 *
 * - `POST /runs/{run_id}/stream` replays the entries after `starting_after`,
 *   then follows the run live (404 unknown run, 400 for a foreground run, 410
 *   once the run is more than 3 h old, 500 without a body). An async run has
 *   no stream: its reader only pings, and ends after `maxStreamSilence`.
 * - `POST /conversations/{id}/stream` finds the run by `run_id`, then `otid`
 *   (retrying for 1.75 s of server time), then as the conversation's (or,
 *   agent-direct, the agent's) latest created/running run, which must be a
 *   background run.
 * - A background conversation send whose otids already name a run (an exact
 *   retry, within 3 h) gets a replay of that run from its start instead of a
 *   new run and turn, also while it still runs; `/cut` does not apply to it.
 * - Streams keep their newest `maxStreamLength` entries (default 10 000) and
 *   expire 3 h after their last write; otid → run mappings expire after 3 h.
 * - A reader that has caught up wakes at the writer's next flush instead of
 *   polling every `poll_interval` (it reads the same entries, only sooner); a
 *   reader that fails before its first chunk (`batch_size < 1`, or a missing
 *   body's `None` poll interval with nothing to read) answers an empty 500
 *   where the real server sends the 500 status line and drops the connection.
 *
 * ## Cancelling streams
 *
 * `POST /agents/{agent_id}/messages/cancel` and `POST /conversations/{id}/cancel`
 * mark runs `cancelled` at once. A stream notices, like the real wrapper, when
 * its next event is due and at least 0.5 s (server clock) after it last looked:
 * it then writes the `json.dumps` stop reason above and ends without usage or
 * `[DONE]` (with `include_pings: false` that next event still slips out after it).
 *
 * ## Conversations and their lock
 *
 * The server behaves like one with Redis for locking: while a conversation
 * stream runs, another send to that conversation answers 409
 * `{"detail": "CONFLICT: … (run_id=run-…) …", "run_id": "run-…"}`; `default` +
 * `agent_id` (and deprecated agent ids) lock on the agent, for JSON sends too.
 * The lock goes with the run's terminal update (before the body's EOF), with a
 * cancel of a conversation run, or after 300 s; an agent-direct run's lock is
 * not freed by a cancel, as on the real server. Conversation runs record
 * `run_type: "send_conversation_message"` (and their `conversation_id` when
 * streamed); agent-direct runs are plain `send_message` runs without one.
 *
 * ## Client-side tools and approvals
 *
 * On a user turn the model calls tools: one call per `/tool <name> {<args>}`
 * directive in `T` (`<name>` of `[A-Za-z0-9_-]+` offered by the request, the
 * brace-balanced `<args>` sent verbatim as `arguments`, valid JSON or not;
 * several make parallel calls, in order), else every offered tool whose name
 * occurs in `T` as a whole word (any case), with arguments synthesized from
 * its JSON Schema `properties`: numbers take the text's numbers in turn (else
 * 0), enum strings the value named first (else the first value), other
 * strings the first double-quoted string (else `T`), booleans `false`. The
 * offered tools are the request's `client_tools`, then `approvalTool`
 * (`delete_records`), a server-side tool every agent has that requires
 * approval. Call ids are `call_` plus 24 alphanumerics.
 *
 * Such a step stops with `requires_approval` (the run `completed` with that
 * stop reason): it persists the user message and an approval-role message,
 * listed as a `reasoning_message` (`I'll call a, b.`) and an
 * `approval_request_message` whose `id` is one below the step's assistant
 * message id (`decrement_message_uuid`) and is also its `otid`. Step mode and
 * JSON sends show both messages (`tool_call` = first call, `tool_calls` = all);
 * token mode streams the reasoning deltas under the assistant id, then per
 * call a delta with `name` and `"arguments":null`, then 8-character argument
 * fragments with `"name":null`, all under the approval request's id/otid. An
 * agent without parallel tool calls (the default, as on the real server: set
 * `parallel_tool_calls: true` or `model_settings` at creation) keeps only the
 * first call; token mode has streamed them all by then.
 *
 * While the context ends in an approval request, a regular message fails with
 * `PendingApprovalError`: 409 `{"detail": {"code": "PENDING_APPROVAL",
 * "message": "CONFLICT: …", "pending_request_id": …}}` on a JSON agents send,
 * 409 `{"detail": "CONFLICT: …"}` on JSON conversation sends, and on streams
 * 200 with `stop_reason: error` and an `internal_error` event carrying that
 * text. The answer (`ApprovalCreate` with `approvals` items typed `approval`
 * or `tool`, the legacy `approve` + `approval_request_id`, or a
 * `ToolReturnCreate`) must name exactly the pending calls (else 400 / an
 * error event `Invalid tool call IDs. Expected '[…]', but received '[…]'.`).
 * It starts a new run that persists an `approval_response_message` (no otid,
 * no step id) and one `tool_return_message` with the client's returns, then
 * the denials (`Error: request to call tool denied. User reason: <reason>`),
 * then the approved calls the server ran (`Deleted 3 records from <table>`;
 * any other approved name is `Tool not found`), all under the request's step.
 * That message is shown (not in token mode unless the server ran a call),
 * then the model asks for the same calls again until `/rounds <n>` answers
 * came in, then reports (`The tools answered. I'll report.`, one line
 * `<name>: <text>` or `<name> failed: <text>` per call). An answer whose
 * returns are already among the last 10 context messages is a retry: the
 * turn goes on with a keep-alive user message instead of an error. Cancelling
 * a run of an agent waiting for approval denies its pending calls.
 *
 * ## Async runs
 *
 * `POST .../messages/async` returns the `created` run at once; the turn runs
 * after `asyncRunDelay` (an `Effect.sleep` on the caller's runtime, so
 * `TestClock.adjust` drives it) and goes straight to a terminal status.
 *
 * With a `callback_url`, the run's first terminal update (completed, failed,
 * or cancelled through `/messages/cancel`) POSTs, as `run_manager.py` does,
 * the compact JSON `{"run_id", "status", "completed_at", "metadata"}`:
 * `completed_at` is the naive UTC time of sending and `metadata` is the run's
 * metadata (with `error` for a failed run) plus `result`, a `LettaResponse` of
 * the run's messages (as `GET /runs/{id}/messages` lists them), its stop
 * reason (`error` for a failed run, `cancelled` for a cancelled one) and its
 * usage summed over its steps. One attempt with httpx's headers and no
 * credentials; every wait (connect, response, each body read) is limited to
 * 5 s of the server's Clock, so `TestClock.adjust` times out a silent
 * receiver. The background task, or the cancel request, waits for it; the
 * run is already terminal meanwhile. The outcome is recorded in
 * `callback_sent_at` (taken before sending), `callback_status_code` (any
 * status the receiver answered with) and `callback_error`
 * (`Failed to dispatch callback for run … to …: <repr of httpx's exception>`,
 * e.g. `ConnectError('All connection attempts failed')`, `ReadTimeout('')`).
 *
 * The server only ever contacts loopback: the URL's host must be `127.0.0.1`,
 * `[::1]` or `localhost` (dialled as 127.0.0.1, then ::1, without DNS) over
 * plain `http`. For any other URL nothing is sent and `callback_error` says
 * why (`…: not sent: the test server only sends callbacks to loopback hosts …`).
 *
 * ## Faults
 *
 * `injectFault` queues a `Fault` for the next matching request(s), applied
 * after the body is read and recorded, before authentication: a verbatim
 * answer (`respond`, `rateLimited`, `serverErrors`), a dropped connection
 * (`destroy`), no answer at all (`hang`), an answer lost after the request was
 * handled (`cut`: after n SSE events, a seeded random n, or instead of a JSON
 * answer) or a wait on the server's Clock before handling (`delay`). Each
 * request gets the first matching fault in injection order; see `Fault`.
 *
 * ## Where it knowingly differs
 *
 * - It always acts as a server with Redis, so the 503 of a server without it
 *   (`background: true`, the resume endpoints) cannot be had.
 * - `/messages/cancel` without run ids uses the run the real server keeps in
 *   Redis (the agent's last synchronous or streaming run, finished or not),
 *   else the agent's created/running runs.
 * - Conversation `model_settings` are stored as given; isolated blocks get ids
 *   but no contents; conversations cannot be updated, forked or deleted.
 * - Timestamps that tie under a stopped clock are ordered by creation.
 * - Scripted endings stand in for failures the OSS server cannot be made to
 *   produce on demand: `no-done` has no OSS cause (its run is recorded as
 *   completed), and the mid-stream failures keep the output they streamed
 *   persisted.
 * - Callbacks only go to loopback over plain `http`, and the httpx exception
 *   in `callback_error` is inferred from what Node saw (refused, closed before
 *   answering, body cut short, timed out), not raised by httpx itself.
 * - Summaries are scripted; `DELETE /runs/{id}` answers 200 `null` as documented
 *   (the archived server's handler calls a method that does not exist).
 * - Tools: agents list the approval tool's `requires_approval` rule but no
 *   tool records; of `model_settings` only `parallel_tool_calls` is read;
 *   approval requests always stream the OpenAI interfaces' way (decremented
 *   id), also for `anthropic` handles; image URLs in client returns are kept
 *   as sent, not fetched; `include=agent.pending_approval` is not supported.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { ConfigError } from "effect"
import { Clock, Context, Duration, Effect, FiberSet, Layer, Random, Redacted, Schema } from "effect"
import { performance } from "node:perf_hooks"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import * as LettaClient from "../LettaClient.js"
import * as Http from "./internal/http.js"
import type { ServerState } from "./internal/state.js"
import * as Model from "./internal/model.js"
import { Redis } from "./internal/redis.js"
import * as RedisStreams from "./internal/redisStreams.js"
import { Store } from "./internal/store.js"
import * as ToolCalls from "./internal/toolCalls.js"
import * as Turn from "./internal/turn.js"

/**
 * The server-side tool every test-server agent has and that requires
 * approval: its name and JSON Schema parameters. Once approved the server runs
 * it and it returns `Deleted 3 records from <table>`.
 *
 * @since 0.1.0
 * @category tools
 */
export const approvalTool: {
  readonly name: "delete_records"
  readonly parameters: {
    readonly type: "object"
    readonly properties: { readonly table: { readonly type: "string" } }
    readonly required: readonly ["table"]
  }
} = ToolCalls.approvalTool

/**
 * How to start the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port to listen on; the server only ever binds 127.0.0.1. `0` (the default) picks a free one. */
  readonly port?: number | undefined
  /**
   * When set, every request must carry `Authorization: Bearer <key>` or
   * `X-BARE-PASSWORD: password <key>`, else it gets 401 `{"detail":"Unauthorized"}`,
   * like the real server in password (`--secure`) mode.
   */
  readonly apiKey?: Redacted.Redacted | string | undefined
  /** How long an async run takes before it reaches its terminal status. Default `"50 millis"`. */
  readonly asyncRunDelay?: Duration.DurationInput | undefined
  /**
   * Silence after which a stream with `include_pings` gets a keepalive ping
   * (`LETTA_KEEPALIVE_INTERVAL`). Default `"20 seconds"`. Measured with the
   * Clock of the runtime that made the server, so `TestClock.adjust` drives it.
   */
  readonly keepaliveInterval?: Duration.DurationInput | undefined
  /**
   * How long a stream may carry nothing but keepalive pings before its body
   * ends without a terminal event (`max_stream_silence`). Default `"30 minutes"`.
   */
  readonly maxStreamSilence?: Duration.DurationInput | undefined
  /**
   * Seed of the PRNG that `cut({ afterEvents: "random" })` draws from, once
   * per application in order. Default `0`: the same test cuts at the same
   * places every time.
   */
  readonly seed?: number | undefined
  /**
   * How many entries a background run's Redis stream keeps (`XADD MAXLEN`):
   * older ones are trimmed, so their `seq_id`s can no longer be replayed.
   * Default `10000`, the real writer's `max_stream_length`.
   */
  readonly maxStreamLength?: number | undefined
}

/**
 * A request as the server received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly method: string
  /** the path exactly as received, before percent-decoding */
  readonly path: string
  readonly query: {
    readonly raw: string
    readonly params: Readonly<Record<string, ReadonlyArray<string>>>
  }
  /** lower-cased names; credentials (`authorization`, `x-bare-password`) read `"<redacted>"` */
  readonly headers: Readonly<Record<string, string>>
  /** the body as UTF-8 text; empty for bodies over the 10 MiB limit */
  readonly body: string
}

/**
 * A canned reaction for the next matching request(s).
 *
 * Matching: `method` (any case; omitted = every method) and `path`, either a
 * string equal to the raw URL pathname (before percent-decoding, without the
 * query) or a `RegExp` tested against it. Each request gets at most one
 * fault, the first matching one in injection order; it is applied right after
 * the request body has been read and recorded, before authentication and
 * routing. `times` (default 1) counts applications: after that many the fault
 * is gone and the next matching one, if any, takes over.
 *
 * - `Respond` sends `status`, `headers` and `body` verbatim (HTML pages, broken
 *   JSON and empty bodies included). `rateLimited` and `serverErrors` build
 *   the common ones.
 * - `Destroy` destroys the socket without any response (a transport error).
 * - `Hang` never answers; the request is held until the client gives up and closes the
 *   connection (or the server stops).
 * - `Cut` lets the request be handled normally, then loses the answer: an SSE
 *   response starts as usual and the connection is dropped after `afterEvents`
 *   events (pings included, like the `/cut` directive; `0` drops it before the
 *   status line); any other response is replaced by dropping the connection.
 *   With `afterEvents: "random"` each application draws the count uniformly
 *   from [1, `randomMax`] (default 5, so a plain stream with its initial ping
 *   always loses at least its `[DONE]`) with the server's PRNG, seeded by
 *   `Options.seed`. Whatever the request started (a run, a turn) goes on as
 *   after a client disconnect.
 * - `Delay` holds the request for `duration` on the server's Clock
 *   (`Effect.sleep`, so `TestClock.adjust` releases it), then handles it
 *   normally.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | {
    readonly _tag: "Respond"
    readonly method?: string | undefined
    readonly path: string | RegExp
    readonly status: number
    readonly headers?: Readonly<Record<string, string>> | undefined
    readonly body?: string | undefined
    readonly times?: number | undefined
  }
  | {
    readonly _tag: "Destroy"
    readonly method?: string | undefined
    readonly path: string | RegExp
    readonly times?: number | undefined
  }
  | {
    readonly _tag: "Hang"
    readonly method?: string | undefined
    readonly path: string | RegExp
    readonly times?: number | undefined
  }
  | {
    readonly _tag: "Cut"
    readonly method?: string | undefined
    readonly path: string | RegExp
    readonly afterEvents: number | "random"
    /** the largest count `"random"` can draw; default 5 */
    readonly randomMax?: number | undefined
    readonly times?: number | undefined
  }
  | {
    readonly _tag: "Delay"
    readonly method?: string | undefined
    readonly path: string | RegExp
    readonly duration: Duration.DurationInput
    readonly times?: number | undefined
  }

/**
 * A `Respond` fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const respond = (fault: Omit<Extract<Fault, { _tag: "Respond" }>, "_tag">): Fault => ({
  _tag: "Respond",
  ...fault
})

/**
 * A `Destroy` fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const destroy = (fault: Omit<Extract<Fault, { _tag: "Destroy" }>, "_tag">): Fault => ({
  _tag: "Destroy",
  ...fault
})

/**
 * A `Hang` fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const hang = (fault: Omit<Extract<Fault, { _tag: "Hang" }>, "_tag">): Fault => ({
  _tag: "Hang",
  ...fault
})

/**
 * A `Cut` fault: the answer is lost after `afterEvents` SSE events, or
 * entirely for a non-SSE response, while the server carries on.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cut = (fault: Omit<Extract<Fault, { _tag: "Cut" }>, "_tag">): Fault => ({
  _tag: "Cut",
  ...fault
})

/**
 * A `Delay` fault: the request waits `duration` on the server's Clock before
 * it is handled.
 *
 * @since 0.1.0
 * @category constructors
 */
export const delay = (fault: Omit<Extract<Fault, { _tag: "Delay" }>, "_tag">): Fault => ({
  _tag: "Delay",
  ...fault
})

/**
 * A 429 in the real server's provider-error envelope,
 * `{"error": {"type": "llm_rate_limit", "message", "detail"}}`, with a
 * `Retry-After` header when `retryAfter` is given (seconds, or a header value
 * used verbatim such as an HTTP date). The OSS server itself never sends
 * `Retry-After` with it; proxies and Letta Cloud do.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimited = (options: {
  readonly method?: string | undefined
  readonly path: string | RegExp
  readonly retryAfter?: number | string | undefined
  /** extra headers, e.g. `retry-after-ms` */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly times?: number | undefined
}): Fault =>
  respond({
    method: options.method,
    path: options.path,
    status: 429,
    headers: {
      "content-type": "application/json",
      ...(options.retryAfter === undefined ? {} : { "retry-after": String(options.retryAfter) }),
      ...options.headers
    },
    body: JSON.stringify({
      error: {
        type: "llm_rate_limit",
        message: "Rate limit exceeded for LLM model provider. Please wait before making another request.",
        detail: "RATE_LIMIT_EXCEEDED: Rate limited by the test server's rateLimited fault"
      }
    }),
    times: options.times
  })

/**
 * `status` (default 500) for the next `times` matching requests, with the
 * real server's catch-all body `{"detail":"An unknown error occurred"}`
 * unless `body` says otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serverErrors = (options: {
  readonly method?: string | undefined
  readonly path: string | RegExp
  readonly status?: number | undefined
  readonly body?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly times: number
}): Fault =>
  respond({
    method: options.method,
    path: options.path,
    status: options.status ?? 500,
    headers: { "content-type": "application/json", ...options.headers },
    body: options.body ?? JSON.stringify({ detail: "An unknown error occurred" }),
    times: options.times
  })

/**
 * `seedHistory` was asked to fill an agent this server does not have.
 *
 * @since 0.1.0
 * @category errors
 */
export class SeedError extends Schema.TaggedError<SeedError>("effect-letta/testing/SeedError")("SeedError", {
  agentId: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `Agent with ID ${this.agentId} not found`
  }
}

/**
 * The server could not start listening (e.g. the port is taken).
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenError extends Schema.TaggedError<ListenError>("effect-letta/testing/ListenError")("ListenError", {
  port: Schema.Number,
  description: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `cannot listen on 127.0.0.1:${this.port}: ${this.description}`
  }
}

/**
 * One accepted TCP connection. Times come from `performance.now()` (real time,
 * not the Effect Clock), so a test can bound how fast a socket really closed.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionRecord {
  readonly id: number
  readonly openedAt: number
  /** `undefined` while the socket is open */
  readonly closedAt: number | undefined
}

/**
 * One SSE response as the server wrote it.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamRecord {
  /** the `ConnectionRecord.id` of the socket it went out on */
  readonly connectionId: number
  /** the request target */
  readonly path: string
  readonly runId: string | null
  /** every event written to the socket so far, exactly as sent (keepalive pings included) */
  readonly frames: ReadonlyArray<string>
  /**
   * The server is done with it: the body ended (or the socket went away and the
   * run is over) and the run's terminal update, if any, has been made.
   */
  readonly done: boolean
}

/**
 * A running server and the hooks tests use to steer and observe it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Queue a canned reaction for the next matching request(s). */
  readonly injectFault: (fault: Fault) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  /** Every request received so far, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  readonly clearRequests: Effect.Effect<void>
  /** Sockets currently open, to spot connection leaks. */
  readonly openConnections: Effect.Effect<number>
  /** Every connection accepted so far, oldest first. */
  readonly connectionLog: Effect.Effect<ReadonlyArray<ConnectionRecord>>
  /** Every SSE response so far, oldest first, with the events written. */
  readonly streams: Effect.Effect<ReadonlyArray<StreamRecord>>
  /**
   * Append `exchanges` user → (reasoning + assistant) turns straight to an
   * agent's history and context, without runs: fast set-up for paging tests.
   */
  readonly seedHistory: (agentId: string, exchanges: number) => Effect.Effect<void, SeedError>
}

/**
 * The running server, for layer-based tests.
 *
 * @since 0.1.0
 * @category tags
 */
export class LettaTestServer extends Context.Tag("effect-letta/testing/LettaTestServer")<LettaTestServer, Service>() {}

const listen = (server: http.Server, port: number) =>
  Effect.async<number, ListenError>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(new ListenError({ port, description: error.message })))
    server.once("error", onError)
    // A deep accept queue: tests open hundreds of connections at once, and a full queue
    // resets them, which a client must not retry for a send.
    server.listen({ port, host: "127.0.0.1", backlog: 4096 }, () => {
      server.off("error", onError)
      resume(Effect.succeed((server.address() as AddressInfo).port))
    })
  })

// Resolves once the server has stopped listening and every socket has emitted "close"
// (the server's own close callback can fire before the sockets' close events).
const shutdown = (server: http.Server, sockets: Set<Socket>, onSocketClosed: Set<() => void>) =>
  Effect.async<void>((resume) => {
    let listening = true
    let resumed = false
    const check = () => {
      if (!listening && sockets.size === 0 && !resumed) {
        resumed = true
        onSocketClosed.delete(check)
        resume(Effect.void)
      }
    }
    onSocketClosed.add(check)
    server.close(() => {
      listening = false
      check()
    })
    for (const socket of sockets) socket.destroy()
  })

/**
 * Start a server for the lifetime of the scope. Closing the scope interrupts
 * in-flight requests and pending async runs, stops listening and destroys all
 * open sockets, keep-alive ones included.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Service, ListenError, Scope.Scope> =>
  Effect.gen(function*() {
    const fibers = yield* FiberSet.make<void, never>()
    const run = yield* FiberSet.runtime(fibers)<never>()
    const startedAt = yield* Clock.currentTimeMillis
    const apiKey = options?.apiKey === undefined
      ? undefined
      : Redacted.isRedacted(options.apiKey)
      ? Redacted.value(options.apiKey)
      : options.apiKey
    const state: ServerState = {
      store: new Store(),
      redis: new Redis(),
      startedAt,
      asyncRunDelay: Duration.decode(options?.asyncRunDelay ?? "50 millis"),
      keepaliveInterval: Duration.decode(options?.keepaliveInterval ?? "20 seconds"),
      maxStreamSilence: Duration.decode(options?.maxStreamSilence ?? "30 minutes"),
      maxStreamLength: options?.maxStreamLength ?? RedisStreams.defaultMaxLength,
      runFibers: new Map(),
      fork: (effect) => FiberSet.run(fibers, effect)
    }
    const ctx: Http.HttpContext = {
      state,
      apiKey,
      faults: [],
      random: Random.make(options?.seed ?? 0),
      recorded: [],
      connectionIds: new WeakMap(),
      streams: []
    }

    const sockets = new Set<Socket>()
    const onSocketClosed = new Set<() => void>()
    const connections: Array<{ readonly id: number; readonly openedAt: number; closedAt: number | undefined }> = []
    const server = http.createServer()
    server.on("connection", (socket: Socket) => {
      const record: { readonly id: number; readonly openedAt: number; closedAt: number | undefined } = {
        id: connections.length + 1,
        openedAt: performance.now(),
        closedAt: undefined
      }
      connections.push(record)
      ctx.connectionIds.set(socket, record.id)
      sockets.add(socket)
      socket.once("close", () => {
        record.closedAt = performance.now()
        sockets.delete(socket)
        for (const notify of onSocketClosed) notify()
      })
    })
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      run(Http.handle(ctx, req, res))
    })
    const port = yield* listen(server, options?.port ?? 0)
    yield* Effect.addFinalizer(() => shutdown(server, sockets, onSocketClosed))

    const seedHistory = (agentId: string, exchanges: number) =>
      Effect.gen(function*() {
        const agent = state.store.agents.get(agentId)
        if (agent === undefined) return yield* new SeedError({ agentId })
        const now = yield* Clock.currentTimeMillis
        for (let i = 0; i < exchanges; i++) {
          const text = `Seeded message ${i + 1}`
          const user = state.store.addMessage({
            agentId,
            role: "user",
            content: [{ type: "text", text, signature: null }],
            otid: randomUUID(),
            createdAt: now
          })
          const reply = Model.respond({ text, context: [] })
          if (reply._tag !== "Reply") continue
          const assistant = state.store.addMessage({
            agentId,
            role: "assistant",
            content: Turn.replyParts(reply),
            createdAt: now
          })
          agent.inContext.push(user.id, assistant.id)
        }
      })

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      injectFault: (fault) =>
        Effect.sync(() => {
          ctx.faults.push({ fault, remaining: fault.times ?? 1 })
        }),
      clearFaults: Effect.sync(() => {
        ctx.faults.length = 0
      }),
      requests: Effect.sync(() => [...ctx.recorded]),
      clearRequests: Effect.sync(() => {
        ctx.recorded.length = 0
      }),
      openConnections: Effect.sync(() => sockets.size),
      connectionLog: Effect.sync(() => connections.map((c) => ({ ...c }))),
      streams: Effect.sync(() => ctx.streams.map((s) => ({ ...s, frames: [...s.frames] }))),
      seedHistory
    } satisfies Service
  })

/**
 * A server for the lifetime of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<LettaTestServer, ListenError> =>
  Layer.scoped(LettaTestServer, make(options))

/**
 * Options for `layerClient`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientOptions extends Options {
  /** Options for the client; its base URL and API key come from the server. */
  readonly client?: Omit<LettaClient.Options, "baseUrl" | "apiKey"> | undefined
}

/**
 * A fresh server plus a `LettaClient` pointed at it (with the server's API key,
 * if it has one), on top of the `HttpClient` you provide: run an app or an
 * example offline.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options?: ClientOptions
): Layer.Layer<
  LettaTestServer | LettaClient.LettaClient,
  ConfigError.ConfigError | ListenError,
  HttpClient.HttpClient
> => {
  const apiKey = options?.apiKey === undefined
    ? undefined
    : Redacted.isRedacted(options.apiKey)
    ? options.apiKey
    : Redacted.make(options.apiKey)
  return Layer.unwrapEffect(
    Effect.map(LettaTestServer, (server) => LettaClient.layer({ ...options?.client, baseUrl: server.url, apiKey }))
  ).pipe(Layer.provideMerge(layer(options)))
}
