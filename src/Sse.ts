/**
 * A Server-Sent Events decoder: a `Stream` operator from bytes to events, following the
 * WHATWG EventSource parsing rules (LF, CR and CRLF line ends, also split across chunks;
 * multi-line `data:`; `event:`; `id:` persisting across events; `retry:` reported, never
 * acted on; `:` comments; a leading BOM; UTF-8 split across chunks; an unterminated event at
 * the end is not dispatched). Its work is linear in the input, whatever the chunking.
 *
 * @since 0.1.0
 */
import { Channel, Chunk, Effect, Schema, Stream } from "effect"
import { SseParser } from "./internal/sseParser.js"

/**
 * A dispatched event: its type (`message` unless an `event:` field named one), its data
 * (`data:` lines joined with `\n`) and the last event id seen so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly _tag: "Event"
  readonly event: string
  readonly data: string
  readonly id: string
}

/**
 * A `retry:` field: the reconnection delay the server asks for, in milliseconds. It is
 * reported so a caller can honour it; the decoder itself never waits.
 *
 * @since 0.1.0
 * @category models
 */
export interface Retry {
  readonly _tag: "Retry"
  readonly millis: number
}

/**
 * What the decoder emits.
 *
 * @since 0.1.0
 * @category models
 */
export type Item = Event | Retry

/**
 * An event grew beyond the size limit; the stream fails instead of buffering without bound.
 *
 * @since 0.1.0
 * @category errors
 */
export class EventTooLargeError extends Schema.TaggedError<EventTooLargeError>()("EventTooLargeError", {
  maxEventSize: Schema.Number
}) {
  override get message() {
    return `a server-sent event grew beyond ${this.maxEventSize} characters`
  }
}

/**
 * The default bound on one event's size, in characters (8 MiB of ASCII).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxEventSize = 8 * 1024 * 1024

/**
 * Options of `decode`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /**
   * The largest event accepted, in characters of its data (each `data:` value plus one).
   * Any single line, complete or still arriving, may be at most 6 characters longer (room
   * for its `data: `), so a line without end cannot fill memory either. Whether an input
   * fails does not depend on how it is chunked; the events before the oversized one are
   * delivered.
   */
  readonly maxEventSize?: number | undefined
}

/**
 * Decodes a byte stream into server-sent events. Each run of the returned stream has its
 * own parser, so the stream can be run more than once.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (options?: DecodeOptions) =>
<E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<Item, E | EventTooLargeError, R> =>
  Stream.suspend(() => {
    const maxEventSize = options?.maxEventSize ?? defaultMaxEventSize
    const parser = new SseParser(maxEventSize)
    const loop: Channel.Channel<Chunk.Chunk<Item>, Chunk.Chunk<Uint8Array>, E | EventTooLargeError, E, unknown, unknown> =
      Channel.readWithCause({
        onInput: (chunk: Chunk.Chunk<Uint8Array>) => {
          let items: Array<Item>
          if (Chunk.size(chunk) === 1) {
            items = parser.push(Chunk.unsafeGet(chunk, 0))
          } else {
            items = []
            for (const bytes of chunk) {
              for (const item of parser.push(bytes)) items.push(item)
              if (parser.failed) break
            }
          }
          const written = Channel.write(Chunk.unsafeFromArray(items))
          // The events completed before an oversized one are delivered, then the stream fails:
          // how the input happened to be chunked must not decide what is lost.
          return parser.failed
            ? Channel.zipRight(written, Channel.fail(new EventTooLargeError({ maxEventSize })))
            : Channel.zipRight(written, loop)
        },
        onFailure: (cause) => Channel.failCause(cause),
        onDone: () => Channel.void
      })
    return self.pipe(Stream.pipeThroughChannel(loop), Stream.ensuring(Effect.sync(() => parser.end())))
  })
