/**
 * The reading of one Letta event stream, as plain synchronous code over the response's
 * bytes: SSE parsing, JSON, schema decoding and the end-of-stream rules of PROTOCOL.md §1.4
 * and §4, in one pass and without intermediate event objects (this is the hot path of every
 * stream). The channel that drives it lives in `lettaStream.ts`.
 *
 * `[DONE]` ends the stream; `event: error` fails it (after everything before it was
 * delivered); `event: cancelled` or `stop_reason: "cancelled"` end it as cancelled; reading
 * stops at the first terminal event instead of waiting for EOF; and an EOF before any
 * terminal event is a truncation, never a success.
 */
import { Either, type Tracer } from "effect"
import * as LettaError from "../LettaError.js"
import { LettaStreamingMessage } from "../schema/messages.js"
import { fastDecoderOf, makeDecoder, NoMatch } from "./fastDecode.js"
import { SseParser } from "./sseParser.js"
import { clip } from "./text.js"
import { describeParseError } from "./transport.js"

const decodeFast = fastDecoderOf(LettaStreamingMessage)
const decodeExact = makeDecoder(LettaStreamingMessage)

/**
 * How much of a read is decoded at once. A read can bring 64 KB or more (hundreds of token
 * events); decoded whole, its events would all be held while the consumer works through
 * them, and a stream that yields to others meanwhile would carry them past V8's young
 * generation into the old one. 8 KB keeps what is held small at no measurable cost.
 */
const sliceBytes = 8192

/** What one stream is read under. */
export interface ReadContext {
  readonly method: string
  readonly url: string
  /** Emit pings too (they are always read: they reset the idle timer and carry the run id). */
  readonly includePings: boolean
  /** Which events to emit, in place of `includePings` (see `StreamSettings.accept`). */
  readonly accept: ((message: LettaStreamingMessage) => boolean) | undefined
  readonly onMalformedEvent: "fail" | "skip"
  readonly maxEventSize: number
  /** Told the run id, the messages delivered and how the stream ended. */
  readonly span: Tracer.Span
  /** The time limit that ended the stream, if one did (a read then fails on the abort). */
  readonly expired: () => LettaError.TimeoutError | undefined
}

/** Where a stream stands: reading on, ended by `[DONE]`, or failed. */
export type Outcome = "continue" | "end" | LettaError.LettaError

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

/**
 * One stream's reader. `receive` takes the bytes of one read and `step` decodes them a slice
 * at a time (or `feed` decodes a chunk whole); the events they complete wait in `take()`,
 * and `outcome` says whether to read on. `cutOff` and `ended` judge a body that failed or
 * ended before a terminal event.
 */
export class EventReader {
  outcome: Outcome = "continue"
  /** Events decoded as `skip` allows: to be logged. */
  readonly skipped: Array<string> = []
  private runId: string | undefined = undefined
  private seqId: number | undefined = undefined
  private index = 0
  private delivered = 0
  private out: Array<LettaStreamingMessage> = []
  private readonly parser: SseParser
  /** Bytes read but not decoded yet, from `offset` on. */
  private unread: Uint8Array | undefined = undefined
  private offset = 0

  constructor(private readonly context: ReadContext) {
    this.parser = new SseParser(context.maxEventSize, {
      event: (type, data) => {
        this.outcome = this.handle(type, data)
        return this.outcome === "continue"
      },
      retry: () => {}
    })
  }

  /** Takes one read of the body, to be decoded by `step`. */
  receive(bytes: Uint8Array): void {
    this.unread = bytes
    this.offset = 0
  }

  /** Whether bytes received wait to be decoded. */
  get unreadBytes(): boolean {
    return this.unread !== undefined
  }

  /**
   * Decodes the next slice of what was received (at most `sliceBytes`), so that what a
   * stream holds decoded at once stays small whatever the size of a read.
   */
  step(): void {
    const bytes = this.unread
    if (bytes === undefined) return
    const end = Math.min(bytes.length, this.offset + sliceBytes)
    const slice = this.offset === 0 && end === bytes.length ? bytes : bytes.subarray(this.offset, end)
    if (end === bytes.length) this.unread = undefined
    else this.offset = end
    this.feed(slice)
    if (this.outcome !== "continue") this.unread = undefined
  }

  /** Decodes one chunk of the body whole. */
  feed(bytes: Uint8Array): void {
    if (this.outcome !== "continue") return
    if (this.parser.feed(bytes) === "too-large") {
      this.outcome = new LettaError.DecodeError({
        method: this.context.method,
        url: this.context.url,
        description: `an event grew beyond ${this.context.maxEventSize} characters`,
        excerpt: ""
      })
    }
  }

  /** Whether there are events to hand on. */
  get pending(): boolean {
    return this.out.length > 0
  }

  /** The events decoded since the last call. */
  take(): Array<LettaStreamingMessage> {
    const out = this.out
    if (out.length > 0) {
      this.out = []
      this.delivered += out.length
    }
    return out
  }

  /** How many events were handed on: for the span, at the end. */
  get events(): number {
    return this.delivered
  }

  /**
   * The body failed to read. A body cut off mid-stream is a truncation like a clean EOF
   * without a terminal event; both (and an idle timeout) say where the run was, so it can be
   * resumed.
   */
  cutOff(description: string | undefined): LettaError.LettaError {
    const expired = this.context.expired()
    if (expired !== undefined) return new LettaError.TimeoutError({ ...expired, runId: this.runId, seqId: this.seqId })
    return new LettaError.StreamTruncatedError({
      method: this.context.method,
      url: this.context.url,
      runId: this.runId,
      seqId: this.seqId,
      description
    })
  }

  /** The body ended before a terminal event (an aborted body may end cleanly, too). */
  ended(): LettaError.LettaError {
    return this.cutOff(undefined)
  }

  private malformed(data: string, description: string): Outcome {
    if (this.context.onMalformedEvent === "skip") {
      this.skipped.push(`${description} — data: ${clip(data, 200)}`)
      return "continue"
    }
    return new LettaError.DecodeError({
      method: this.context.method,
      url: this.context.url,
      description,
      excerpt: clip(data)
    })
  }

  private handle(type: string, data: string): Outcome {
    this.index++
    if (type === "error") return streamError(data, this.runId)
    if (type === "cancelled") return new LettaError.StreamCancelledError({ runId: this.runId })
    if (data === "[DONE]") return "end"
    let json: unknown
    try {
      json = JSON.parse(data)
    } catch (error) {
      return this.malformed(data, `event ${this.index} is not JSON (${String(error)})`)
    }
    let message = decodeFast(json)
    if (message === NoMatch) {
      const exact = decodeExact(json)
      if (Either.isLeft(exact)) return this.malformed(data, `event ${this.index}: ${describeParseError(exact.left)}`)
      message = exact.right
    }
    if ("run_id" in message && typeof message.run_id === "string" && message.run_id !== this.runId) {
      this.runId = message.run_id
      this.context.span.attribute("letta.run_id", this.runId)
    }
    if ("seq_id" in message && typeof message.seq_id === "number") this.seqId = message.seq_id
    const accept = this.context.accept
    if (message.message_type === "ping") {
      if (accept === undefined ? this.context.includePings : accept(message)) this.out.push(message)
      return "continue"
    }
    if (message.message_type === "stop_reason") this.context.span.attribute("letta.stop_reason", message.stop_reason)
    if (accept === undefined || accept(message)) this.out.push(message)
    return message.message_type === "stop_reason" && message.stop_reason === "cancelled"
      ? new LettaError.StreamCancelledError({ runId: this.runId })
      : "continue"
  }
}
