/**
 * Turns a Letta SSE response into a typed `Stream`: the body read by an `EventReader` (the
 * end-of-stream rules live there), by hand when the response allows it, and the three time
 * limits (headers, idle, total).
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
  ExecutionStrategy,
  Exit,
  Option,
  Scope,
  Stream,
  type Tracer
} from "effect"
import * as LettaError from "../LettaError.js"
import type { LettaStreamingMessage } from "../schema/messages.js"
import * as Sse from "../Sse.js"
import * as Streaming from "../Streaming.js"
import { type Deadline, keep } from "./deadlines.js"
import { EventReader } from "./eventReader.js"
import { describeUrl, maxErrorBodyBytes, readExcerpt } from "./httpErrors.js"
import { End, type RawBody, rawBody, ReadFailure } from "./rawBody.js"
import { clip } from "./text.js"
import { idempotentByMethod, type Transport } from "./transport.js"
import { unwrapScoped } from "./unwrap.js"

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

/** A channel of decoded events, reading `In` (bytes, or nothing when it reads the body itself). */
type Events<In, InErr> = Channel.Channel<Chunk.Chunk<LettaStreamingMessage>, In, LettaError.LettaError, InErr, void, unknown>

/**
 * Hands a reader's events on, then reads on with `next`, ends, or fails as its outcome says.
 * Skipped malformed events are logged after the events that came with them.
 */
const emit = <In, InErr>(reader: EventReader, next: Events<In, InErr>): Events<In, InErr> => {
  const out = reader.take()
  let emitted: Channel.Channel<Chunk.Chunk<LettaStreamingMessage>, unknown, never, unknown, void, unknown> =
    out.length === 0 ? Channel.void : Channel.write(Chunk.unsafeFromArray(out))
  if (reader.skipped.length > 0) {
    const lines = reader.skipped.splice(0)
    emitted = Channel.zipRight(
      emitted,
      Channel.fromEffect(Effect.forEach(
        lines,
        (line) => Effect.logWarning(`skipped a stream event that does not decode: ${line}`),
        { discard: true }
      ))
    )
  }
  const outcome = reader.outcome
  // At a terminal event, stop reading: ending here closes the response without waiting for
  // the server's EOF.
  if (outcome === "continue") return Channel.zipRight(emitted, next)
  return outcome === "end" ? emitted : Channel.zipRight(emitted, Channel.fail(outcome))
}

/** What a failed read says, for a truncation's description. */
const describeCause = (cause: unknown): string =>
  clip(cause instanceof Error ? cause.message : String(cause), 500)

/**
 * Reads the body by hand (see `rawBody.ts`), in one channel: no stage but this one between
 * the socket and the consumer. A read's bytes are decoded a slice at a time, as the consumer
 * takes them, so what a stream holds decoded stays small however much one read brought;
 * waiting for the next read allocates nothing but the wait itself (one latch per stream, and
 * the same channel every time).
 */
const readBody = (body: RawBody, reader: EventReader, onActivity: () => void): Events<unknown, unknown> => {
  const latch = Effect.unsafeMakeLatch(false)
  body.notify = () => latch.unsafeOpen()
  const loop: Events<unknown, unknown> = Channel.suspend(() => {
    for (;;) {
      if (!reader.unreadBytes) {
        latch.unsafeClose()
        const next = body.poll()
        if (next === undefined) return wait
        if (next === End) {
          if (reader.outcome === "continue") reader.outcome = reader.ended()
        } else if (next instanceof ReadFailure) {
          if (reader.outcome === "continue") reader.outcome = reader.cutOff(describeCause(next.cause))
        } else {
          onActivity()
          reader.receive(next)
        }
      }
      reader.step()
      if (reader.pending || reader.outcome !== "continue") return emit(reader, loop)
    }
  })
  const wait = Channel.flatMap(Channel.fromEffect(latch.await), () => loop)
  return Channel.ensuring(loop, Effect.sync(() => body.release()))
}

/**
 * Reads the body through `response.stream`: for a response this library cannot read by
 * hand (one whose `stream` an app replaced). Read errors come straight here (no `mapError`
 * layer on every chunk) to become truncations or timeouts.
 */
const readStream = (
  reader: EventReader,
  onActivity: () => void
): Events<Chunk.Chunk<Uint8Array>, HttpClientError.ResponseError> => {
  const loop: Events<Chunk.Chunk<Uint8Array>, HttpClientError.ResponseError> = Channel.readWithCause({
    onInput: (chunk: Chunk.Chunk<Uint8Array>) => {
      onActivity()
      for (const bytes of chunk) {
        reader.feed(bytes)
        if (reader.outcome !== "continue") break
      }
      return emit(reader, loop)
    },
    onFailure: (cause): Channel.Channel<never, unknown, LettaError.LettaError, unknown, void, unknown> => {
      const failure = Cause.failureOption(cause)
      if (Option.isNone(failure)) return Channel.failCause(cause as Cause.Cause<never>)
      return Channel.fail(reader.cutOff(failure.value.message))
    },
    onDone: () => Channel.fail(reader.ended())
  })
  return loop
}

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
 * Where one stream stands against its time limits. They are kept by one fiber for all the
 * streams on a clock (`deadlines.ts`), not by a race against a timer on every read (which
 * costs more than decoding the events) nor by a fiber per stream. When a limit passes, the
 * request is aborted; the read that fails on it reports the timeout.
 */
interface Watch {
  readonly started: number
  lastActivity: number
  headersReceived: boolean
  expired: LettaError.TimeoutError | undefined
}

type Limit = "headers" | "idle" | "total"

/** The deadline of a stream's time limits; `expire` says what to do when one passes. */
const deadline = (
  watch: Watch,
  timeouts: StreamTimeouts,
  expire: (limit: Limit, timeout: Duration.Duration) => Effect.Effect<void>
): Deadline => {
  const total = Duration.toMillis(timeouts.total)
  const idle = Duration.toMillis(timeouts.idle)
  const headers = Duration.toMillis(timeouts.headers)
  const nearest = (): { readonly at: number; readonly limit: Limit } => {
    const phase: { at: number; limit: Limit } = watch.headersReceived
      ? { at: watch.lastActivity + idle, limit: "idle" }
      : { at: watch.started + headers, limit: "headers" }
    return watch.started + total <= phase.at ? { at: watch.started + total, limit: "total" } : phase
  }
  // Looked at again within the idle limit at the latest: headers may come at any moment,
  // and the first idle deadline after them is at least that far away. (At least a
  // millisecond later: a zero idle limit must not look again at the same instant forever.)
  const within = Math.max(idle, 1)
  return {
    check: Math.min(nearest().at, watch.started + within),
    due: (now) => {
      const next = nearest()
      return now < next.at ? Math.min(next.at, now + within) : expire(next.limit, timeouts[next.limit])
    }
  }
}

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
      const limits = deadline(watch, settings.timeouts, (limit, timeout) =>
        Effect.suspend(() => {
          watch.expired = new LettaError.TimeoutError({ method, url: requestUrl, limit, timeout })
          return Effect.zipRight(Deferred.fail(expiredBeforeHeaders, watch.expired), Scope.close(requestScope, Exit.void))
        }))
      // Released when the stream ends, however it ends; the events delivered go to its span.
      let reader: EventReader | undefined
      yield* Effect.acquireRelease(keep(clock, limits), (release) =>
        Effect.sync(() => {
          release()
          if (reader !== undefined) operation.attribute("letta.events", reader.events)
        }))
      const orExpired = <E>(error: E): E | LettaError.TimeoutError => watch.expired ?? error
      // Retries stay within the time limits: a limit that expires during an attempt aborts it
      // and makes its failure the (final) TimeoutError, and one that expires while waiting to
      // retry ends the wait. Only the retries race the expiry: a race forks two fibers, which
      // the first attempt, the one nearly every stream makes, then holds while it waits.
      const response = yield* transport.retrying(
        transport.executeScoped(request).pipe(Scope.extend(requestScope), Effect.mapError(orExpired)),
        {
          operation: span.name,
          idempotent: options?.idempotent ?? idempotentByMethod(method),
          afterFailure: (retries) => Effect.raceFirst(retries, Deferred.await(expiredBeforeHeaders))
        }
      ).pipe(Effect.withParentSpan(operation))
      watch.headersReceived = true
      watch.lastActivity = clock.unsafeCurrentTimeMillis()
      const url = describeUrl(response.request.url)
      if (!(response.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        return yield* notAStream(response, method, url)
      }
      reader = new EventReader({
        method,
        url,
        includePings: settings.includePings,
        accept: settings.accept,
        onMalformedEvent: settings.onMalformedEvent,
        maxEventSize: settings.maxEventSize,
        span: operation,
        expired: () => watch.expired
      })
      // Idle means no bytes at all: pings, and the pieces of an event, count as activity.
      const onActivity = () => {
        watch.lastActivity = clock.unsafeCurrentTimeMillis()
      }
      const body = rawBody(response)
      return body !== undefined
        ? Stream.fromChannel(readBody(body, reader, onActivity))
        : Stream.pipeThroughChannel(response.stream, readStream(reader, onActivity))
    })
  )
