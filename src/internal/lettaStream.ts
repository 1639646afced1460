/**
 * Turns a Letta SSE response into a typed `Stream`, with the end-of-stream rules of
 * PROTOCOL.md §1.4 and §4: `[DONE]` ends it; `event: error` fails it (after everything
 * before it was delivered); `event: cancelled` or `stop_reason: "cancelled"` end it as
 * cancelled; reading stops at the first terminal event instead of waiting for EOF; and an
 * EOF before any terminal event is a truncation, never a success. It also applies the three
 * time limits (headers, idle, total).
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import {
  Cause,
  Channel,
  Chunk,
  Deferred,
  Duration,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  Option,
  Scope,
  Stream,
  type Tracer
} from "effect"
import * as LettaError from "../LettaError.js"
import { LettaStreamingMessage } from "../schema/messages.js"
import * as Sse from "../Sse.js"
import { SseParser } from "./sseParser.js"
import * as Streaming from "../Streaming.js"
import { fastDecoderOf, makeDecoder, NoMatch } from "./fastDecode.js"
import { describeUrl, maxErrorBodyBytes, readExcerpt } from "./httpErrors.js"
import { unwrapScoped } from "./unwrap.js"
import { clip } from "./text.js"
import { describeParseError, idempotentByMethod, type Transport } from "./transport.js"

/** The three time limits of a stream. */
export interface StreamTimeouts {
  /** From sending the request to its response headers. */
  readonly headers: Duration.Duration
  /** Between two events (pings count). */
  readonly idle: Duration.Duration
  /** For the whole stream. */
  readonly total: Duration.Duration
}

/** What a caller can choose about one stream. */
export interface StreamSettings {
  readonly timeouts: StreamTimeouts
  /** Emit pings too (they are always read: they reset the idle timer and carry the run id). */
  readonly includePings: boolean
  /**
   * Which events to emit, in place of `includePings`: a resumable stream's tracker, which
   * must see every event. Applied as each event is decoded, so that the filter is not one
   * more stage every chunk passes through.
   */
  readonly accept?: ((message: LettaStreamingMessage) => boolean) | undefined
  /** A frame that does not decode fails the stream, or is logged and skipped. */
  readonly onMalformedEvent: "fail" | "skip"
  /** The largest event accepted, in characters. */
  readonly maxEventSize: number
}

/** Resolves a call's options over the client's defaults. */
export const settings = (
  defaults: Streaming.Timeouts | undefined,
  options: Streaming.StreamOptions | undefined
): StreamSettings => {
  const pick = (key: keyof Streaming.Timeouts) =>
    Duration.decode(options?.timeouts?.[key] ?? defaults?.[key] ?? Streaming.defaultTimeouts[key])
  return {
    timeouts: { headers: pick("headers"), idle: pick("idle"), total: pick("total") },
    includePings: options?.includePings ?? false,
    onMalformedEvent: options?.onMalformedEvent ?? "fail",
    maxEventSize: options?.maxEventSize ?? Sse.defaultMaxEventSize
  }
}

const decodeFast = fastDecoderOf(LettaStreamingMessage)
const decodeExact = makeDecoder(LettaStreamingMessage)

interface Context {
  readonly method: string
  readonly url: string
  readonly settings: StreamSettings
  /** Told the run id, the messages delivered and how the stream ended. */
  readonly span: Tracer.Span
  /** The time limit that ended the stream, if one did (a read then fails on the abort). */
  readonly expired: () => LettaError.TimeoutError | undefined
}

/** What an `event: error` frame says, in either of the server's two shapes. */
const streamError = (data: string, runId: string | undefined): LettaError.StreamError => {
  let json: unknown
  try {
    json = JSON.parse(data)
  } catch {
    return new LettaError.StreamError({ errorType: "unknown", serverMessage: clip(data), runId })
  }
  const record = typeof json === "object" && json !== null ? json as Record<string, unknown> : {}
  const text = (key: string) => (typeof record[key] === "string" ? record[key] as string : undefined)
  // `{"error": "<str>", "code": "INTERNAL_SERVER_ERROR"}` from the streaming wrapper, or a
  // `LettaErrorMessage`.
  const wrapper = text("error")
  return new LettaError.StreamError({
    errorType: text("error_type") ?? text("code") ?? "unknown",
    serverMessage: text("message") ?? wrapper ?? clip(data),
    detail: text("detail"),
    runId: text("run_id") ?? runId,
    seqId: typeof record.seq_id === "number" ? record.seq_id : undefined
  })
}

type Outcome = "continue" | "end" | LettaError.LettaError

/**
 * One pass over the response bytes: SSE parsing, JSON, schema decoding and the
 * end-of-stream rules, without intermediate event objects (this is the hot path of every
 * stream).
 */
const interpret = (context: Context, onActivity: () => void) =>
  Channel.suspend(() => {
    let runId: string | undefined
    let seqId: number | undefined
    let index = 0
    let delivered = 0
    let out: Array<LettaStreamingMessage> = []
    let outcome: Outcome = "continue"
    const skipped: Array<string> = []

    const malformed = (data: string, description: string): Outcome => {
      if (context.settings.onMalformedEvent === "skip") {
        skipped.push(`${description} — data: ${clip(data, 200)}`)
        return "continue"
      }
      return new LettaError.DecodeError({ method: context.method, url: context.url, description, excerpt: clip(data) })
    }

    const handle = (type: string, data: string): Outcome => {
      index++
      if (type === "error") return streamError(data, runId)
      if (type === "cancelled") return new LettaError.StreamCancelledError({ runId })
      if (data === "[DONE]") return "end"
      let json: unknown
      try {
        json = JSON.parse(data)
      } catch (error) {
        return malformed(data, `event ${index} is not JSON (${String(error)})`)
      }
      let message = decodeFast(json)
      if (message === NoMatch) {
        const exact = decodeExact(json)
        if (Either.isLeft(exact)) return malformed(data, `event ${index}: ${describeParseError(exact.left)}`)
        message = exact.right
      }
      if ("run_id" in message && typeof message.run_id === "string" && message.run_id !== runId) {
        runId = message.run_id
        context.span.attribute("letta.run_id", runId)
      }
      if ("seq_id" in message && typeof message.seq_id === "number") seqId = message.seq_id
      const accept = context.settings.accept
      if (message.message_type === "ping") {
        if (accept === undefined ? context.settings.includePings : accept(message)) out.push(message)
        return "continue"
      }
      if (message.message_type === "stop_reason") context.span.attribute("letta.stop_reason", message.stop_reason)
      if (accept === undefined || accept(message)) out.push(message)
      return message.message_type === "stop_reason" && message.stop_reason === "cancelled"
        ? new LettaError.StreamCancelledError({ runId })
        : "continue"
    }

    const parser = new SseParser(context.settings.maxEventSize, {
      event: (type, data) => {
        outcome = handle(type, data)
        return outcome === "continue"
      },
      retry: () => {}
    })

    const flushSkipped = Effect.suspend(() =>
      Effect.forEach(
        skipped.splice(0),
        (line) => Effect.logWarning(`skipped a stream event that does not decode: ${line}`),
        { discard: true }
      )
    )

    const loop: Channel.Channel<
      Chunk.Chunk<LettaStreamingMessage>,
      Chunk.Chunk<Uint8Array>,
      LettaError.LettaError,
      HttpClientError.ResponseError,
      void,
      unknown
    > = Channel.readWithCause({
      onInput: (chunk: Chunk.Chunk<Uint8Array>) => {
        onActivity()
        out = []
        for (const bytes of chunk) {
          const fed = parser.feed(bytes)
          if (fed === "stopped") break
          if (fed === "too-large") {
            outcome = new LettaError.DecodeError({
              method: context.method,
              url: context.url,
              description: `an event grew beyond ${context.settings.maxEventSize} characters`,
              excerpt: ""
            })
            break
          }
        }
        delivered += out.length
        const written = Channel.write(Chunk.unsafeFromArray(out))
        const emitted = skipped.length === 0 ? written : Channel.zipRight(written, Channel.fromEffect(flushSkipped))
        // At a terminal event, stop reading: ending here closes the response without waiting
        // for the server's EOF.
        if (outcome === "continue") return Channel.zipRight(emitted, loop)
        return outcome === "end" ? emitted : Channel.zipRight(emitted, Channel.fail(outcome))
      },
      onFailure: (cause): Channel.Channel<never, unknown, LettaError.LettaError, unknown, void, unknown> => {
        // A body cut off mid-stream is a truncation like a clean EOF without a terminal event;
        // both (and an idle timeout) say where the run was, so it can be resumed.
        const failure = Cause.failureOption(cause)
        if (Option.isNone(failure)) return Channel.failCause(cause as Cause.Cause<never>)
        const expired = context.expired()
        if (expired !== undefined) return Channel.fail(new LettaError.TimeoutError({ ...expired, runId, seqId }))
        return Channel.fail(
          new LettaError.StreamTruncatedError({
            method: context.method,
            url: context.url,
            runId,
            seqId,
            description: failure.value.message
          })
        )
      },
      onDone: () => {
        // An aborted body may end cleanly rather than fail, depending on the HTTP client.
        const expired = context.expired()
        return Channel.fail(
          expired !== undefined
            ? new LettaError.TimeoutError({ ...expired, runId, seqId })
            : new LettaError.StreamTruncatedError({ method: context.method, url: context.url, runId, seqId })
        )
      }
    })
    return Channel.ensuring(loop, Effect.sync(() => context.span.attribute("letta.events", delivered)))
  })

/** The response is not an event stream: say what it is instead of streaming nothing. */
const notAStream = (response: HttpClientResponse.HttpClientResponse, method: string, url: string) =>
  readExcerpt(response.stream, maxErrorBodyBytes).pipe(
    Effect.map(({ bytes }) => new TextDecoder().decode(bytes)),
    Effect.flatMap((text) =>
      Effect.fail(
        new LettaError.DecodeError({
          method,
          url,
          description: `expected an event stream, got ${response.headers["content-type"] ?? "no content type"}`,
          excerpt: clip(text)
        })
      )
    )
  )

/**
 * The time limits of one stream, kept by one watchdog fiber with one timer armed for the
 * nearest deadline, instead of a race against a timer on every read (which costs more than
 * decoding the events). When a limit passes, the watchdog aborts the request; the read that
 * fails on it reports the timeout.
 */
interface Watch {
  readonly started: number
  lastActivity: number
  headersReceived: boolean
  expired: LettaError.TimeoutError | undefined
}

const watchdog = (
  watch: Watch,
  timeouts: StreamTimeouts,
  expire: (limit: "headers" | "idle" | "total", timeout: Duration.Duration) => Effect.Effect<void>
) =>
  Effect.clockWith((clock) => {
    const total = Duration.toMillis(timeouts.total)
    const idle = Duration.toMillis(timeouts.idle)
    const headers = Duration.toMillis(timeouts.headers)
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      const phase = watch.headersReceived
        ? { at: watch.lastActivity + idle, limit: "idle" as const, timeout: timeouts.idle }
        : { at: watch.started + headers, limit: "headers" as const, timeout: timeouts.headers }
      const next = watch.started + total <= phase.at
        ? { at: watch.started + total, limit: "total" as const, timeout: timeouts.total }
        : phase
      const now = clock.unsafeCurrentTimeMillis()
      // Never asleep for longer than the idle limit: headers may come at any moment, and the
      // first idle deadline after them is at least that far away. So one fiber serves the
      // whole stream, not one per phase.
      return now >= next.at
        ? expire(next.limit, next.timeout)
        : Effect.zipRight(Effect.sleep(Duration.millis(Math.min(next.at - now, idle))), loop)
    })
    return loop
  })

/**
 * The span a stream reports to: one made for it, living as long as the stream, or the span
 * of the supervised stream it is one connection of (which outlives it).
 */
export type StreamSpan =
  | {
    readonly name: string
    readonly attributes: Readonly<Record<string, unknown>>
    readonly parent?: Tracer.AnySpan | undefined
  }
  | Tracer.Span

const isSpan = (span: StreamSpan): span is Tracer.Span => "_tag" in span && span._tag === "Span"

/**
 * Sends `request` and streams its events as typed messages, under the given settings. Each
 * run of the returned stream sends the request anew. Only the request is retried (under the
 * current retry policy, within the headers time limit), never a stream that has started;
 * `idempotent` (by default: the method is GET or DELETE) says whether it may be sent again
 * after it may have reached the server.
 */
export const streamMessages = (
  transport: Transport,
  request: HttpClientRequest.HttpClientRequest,
  settings: StreamSettings,
  span: StreamSpan,
  options?: { readonly idempotent?: boolean | undefined }
): Stream.Stream<LettaStreamingMessage, LettaError.LettaError> =>
  unwrapScoped(
    Effect.gen(function*() {
      // The operation's span lives as long as the stream. It is not provided to every read
      // (what `Stream.withSpan` does, at a cost per chunk): only the request is its child.
      // No stack trace: taken here, deep in the stream's setup, it would not show the
      // caller, and it would be kept with every open stream.
      const operation = isSpan(span)
        ? span
        : yield* Effect.makeSpanScoped(span.name, {
          attributes: span.attributes,
          parent: span.parent,
          captureStackTrace: false
        })
      const method = request.method
      const requestUrl = describeUrl(request.url)
      const clock = yield* Effect.clock
      const streamScope = yield* Effect.scope
      const requestScope = yield* Scope.fork(streamScope, ExecutionStrategy.sequential)
      const now = clock.unsafeCurrentTimeMillis()
      const watch: Watch = { started: now, lastActivity: now, headersReceived: false, expired: undefined }
      const expiredBeforeHeaders = yield* Deferred.make<never, LettaError.TimeoutError>()
      const guard = watchdog(watch, settings.timeouts, (limit, timeout) =>
        Effect.suspend(() => {
          watch.expired = new LettaError.TimeoutError({ method, url: requestUrl, limit, timeout })
          return Effect.zipRight(Deferred.fail(expiredBeforeHeaders, watch.expired), Scope.close(requestScope, Exit.void))
        }))
      yield* Effect.forkIn(guard, streamScope)
      const orExpired = <E>(error: E): E | LettaError.TimeoutError => watch.expired ?? error
      // Retries stay within the time limits: a limit that expires during an attempt makes its
      // failure the (final) TimeoutError, and one that expires while waiting to retry ends
      // the wait.
      const response = yield* transport.retrying(
        transport.executeScoped(request).pipe(Scope.extend(requestScope), Effect.mapError(orExpired)),
        { operation: span.name, idempotent: options?.idempotent ?? idempotentByMethod(method) }
      ).pipe(Effect.withParentSpan(operation), Effect.raceFirst(Deferred.await(expiredBeforeHeaders)))
      watch.headersReceived = true
      watch.lastActivity = clock.unsafeCurrentTimeMillis()
      const url = describeUrl(response.request.url)
      if (!(response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        return yield* notAStream(response, method, url)
      }
      return response.stream.pipe(
        // Read errors go straight to `interpret` (no `mapError` layer on every chunk): it
        // makes them truncations or timeouts.
        Stream.pipeThroughChannel(
          interpret({ method, url, settings, span: operation, expired: () => watch.expired }, () => {
            // Idle means no bytes at all: pings, and the pieces of an event, count as activity.
            watch.lastActivity = clock.unsafeCurrentTimeMillis()
          })
        )
      )
    })
  )
