/**
 * Reading a streamed response body from the object the HTTP client gave the platform,
 * without Effect's `Stream` in between.
 *
 * `HttpClientResponse.stream` hands every network read through a channel of its own before
 * ours decodes it: at 1,000 concurrent streams that stage was a large part of what an event
 * stream allocated, and what stays allocated while a stream waits for its next read outlives
 * V8's young generation and is collected late, from the old one. The platform's responses
 * keep what they wrap in `source`: a web `Response` (fetch), undici's response data, whose
 * `body` is a Node `Readable`, or a `node:http` `IncomingMessage` (itself a `Readable`).
 * Those are polled here directly, with no allocation of ours per read.
 *
 * `source` is not part of the platform's typed interface, so it is checked, never trusted:
 * anything else, and any response whose `stream` was replaced (an app decorating its
 * client's responses), is read through `stream` as before. `test/client/rawBody.test.ts`
 * checks that each platform client's responses are still recognised, so an upgrade that
 * moves `source` shows there rather than as a silent fallback. Nothing here imports Node:
 * the shapes are recognised by their methods.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"

/** The body ended; everything in it was read. */
export const End: unique symbol = Symbol("effect-letta/rawBody/End")

/** Reading failed (a reset connection, an abort); everything before it was read. */
export class ReadFailure {
  constructor(readonly cause: unknown) {}
}

/**
 * A body read by polling. `poll` returns the next chunk, `End` or a `ReadFailure` when one is
 * ready, else `undefined`, after which `notify` is called once something is.
 */
export interface RawBody {
  poll(): Uint8Array | typeof End | ReadFailure | undefined
  /** Set by the reader before polling. */
  notify: () => void
  /** Lets go of the body, discarding what is left unread. Idempotent. */
  release(): void
}

/** The part of a Node `Readable` read here. */
interface NodeReadable {
  read(): unknown
  on(event: string, listener: (...args: Array<any>) => void): unknown
  off(event: string, listener: (...args: Array<any>) => void): unknown
  destroy(): unknown
  readonly readableEnded?: boolean
  readonly destroyed?: boolean
}

const isNodeReadable = (value: unknown): value is NodeReadable =>
  typeof value === "object" && value !== null && typeof (value as NodeReadable).read === "function" &&
  typeof (value as NodeReadable).on === "function" && typeof (value as NodeReadable).off === "function" &&
  typeof (value as NodeReadable).destroy === "function"

const isWebStream = (value: unknown): value is ReadableStream<Uint8Array> =>
  typeof value === "object" && value !== null &&
  typeof (value as ReadableStream).getReader === "function"

const closedEarly = () => new ReadFailure(new Error("the response body closed before it ended"))

const asBytes = (chunk: unknown): Uint8Array =>
  typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk as Uint8Array

/** A Node `Readable` in paused mode: `read()` while it has data, `readable` when it has more. */
class NodeBody implements RawBody {
  notify: () => void = () => {}
  private ended = false
  private failure: ReadFailure | undefined = undefined
  private released = false

  constructor(private readonly readable: NodeReadable) {
    readable.on("readable", this.onReadable)
    readable.on("end", this.onEnd)
    readable.on("error", this.onError)
    readable.on("close", this.onClose)
  }

  private readonly onReadable = () => this.notify()

  private readonly onEnd = () => {
    this.ended = true
    this.notify()
  }

  private readonly onError = (cause: unknown) => {
    this.failure ??= new ReadFailure(cause)
    this.notify()
  }

  // A destroyed stream closes without `end` (and, for some aborts, without `error`).
  private readonly onClose = () => {
    if (!this.ended) this.failure ??= closedEarly()
    this.notify()
  }

  poll(): Uint8Array | typeof End | ReadFailure | undefined {
    let chunk: unknown
    try {
      chunk = this.readable.read()
    } catch (cause) {
      return (this.failure ??= new ReadFailure(cause))
    }
    // Buffered data is read before the end or a failure, so nothing received is lost.
    if (chunk !== null) return asBytes(chunk)
    if (this.failure !== undefined) return this.failure
    if (this.ended || this.readable.readableEnded === true) return End
    if (this.readable.destroyed === true) return (this.failure = closedEarly())
    // `readable`, `end`, `error` or `close` comes next.
    return undefined
  }

  release(): void {
    if (this.released) return
    this.released = true
    this.notify = () => {}
    this.readable.off("readable", this.onReadable)
    this.readable.off("end", this.onEnd)
    this.readable.off("close", this.onClose)
    // Still listening for errors: one emitted while being destroyed must not go unhandled.
    if (!this.ended) this.readable.destroy()
  }
}

/** A web `ReadableStream`: one `read()` promise at a time, its result held until polled. */
class WebBody implements RawBody {
  notify: () => void = () => {}
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private reading = false
  private held: Uint8Array | typeof End | ReadFailure | undefined = undefined
  private done = false
  private released = false

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader()
  }

  private readonly onResult = (result: ReadableStreamReadResult<Uint8Array>) => {
    this.reading = false
    if (result.done) this.done = true
    this.held = result.done ? End : result.value
    this.notify()
  }

  private readonly onFailure = (cause: unknown) => {
    this.reading = false
    this.done = true
    this.held = new ReadFailure(cause)
    this.notify()
  }

  poll(): Uint8Array | typeof End | ReadFailure | undefined {
    const held = this.held
    // The end and a failure stay: every later poll sees them too.
    if (held === End || held instanceof ReadFailure) return held
    this.held = undefined
    if (!this.done && !this.reading && !this.released) {
      this.reading = true
      this.reader.read().then(this.onResult, this.onFailure)
    }
    return held
  }

  release(): void {
    if (this.released) return
    this.released = true
    this.notify = () => {}
    // Cancelling tells fetch to stop receiving; its rejection (already aborted) is of no use.
    if (!this.done) this.reader.cancel().catch(() => {})
  }
}

/**
 * The body of `response`, to be read by hand, when it is one of the platform's responses
 * over fetch, undici or `node:http`; `undefined` otherwise (read `response.stream` then).
 */
export const rawBody = (response: HttpClientResponse.HttpClientResponse): RawBody | undefined => {
  // An own `stream` is a decorated response: its reads must go through it.
  if (Object.prototype.hasOwnProperty.call(response, "stream")) return undefined
  const source = (response as { readonly source?: unknown }).source
  if (typeof source !== "object" || source === null) return undefined
  const body = (source as { readonly body?: unknown }).body
  if (isWebStream(body)) return body.locked ? undefined : new WebBody(body)
  if (isNodeReadable(body)) return new NodeBody(body)
  if (isNodeReadable(source)) return new NodeBody(source)
  return undefined
}
