/**
 * The incremental Server-Sent Events parser behind `Sse.decode`, following the WHATWG
 * EventSource parsing rules. It is plain synchronous code over whole chunks: UTF-8 is
 * decoded by a streaming `TextDecoder` (multi-byte characters split across chunks, a
 * leading BOM), and each chunk is scanned once with `indexOf`, so the work is linear in
 * the input whatever its chunking. A line split across chunks is kept as pieces and joined
 * once, never rescanned.
 */

import type { Item as SseItem } from "../Sse.js"

/**
 * Where parsed fields go. `event` returns false to stop the parser (e.g. at a terminal
 * event): the rest of the input is ignored.
 */
export interface SseSink {
  event(type: string, data: string, id: string): boolean
  retry(millis: number): void
}

const LF = 10
const COLON = 58
const SPACE = 32
const digitsOnly = /^\d+$/
/** A string of its own, not a slice of a larger one: the concatenation is flattened anew. */
const copy = (text: string): string => text.length < 13 ? text : (" " + text).slice(1)
/**
 * How much longer than `maxEventSize` a line may be: room for `data: ` in front of a value.
 * A line is bounded while it is pending (split across chunks) and again once complete; with
 * this slack the pending bound is never stricter than the complete one, so whether an input
 * fails does not depend on how it was chunked.
 */
const lineSlack = "data: ".length

/**
 * A parser for one stream. `push` returns the items the chunk completes; once an event grows
 * past `maxEventSize` characters, `failed` is true (the stream should then fail) and the
 * items of that chunk are those completed before the oversized event.
 */
export class SseParser {
  private readonly decoder = new TextDecoder("utf-8")
  /** Pieces of the line not yet ended, and their total length. */
  private pieces: Array<string> = []
  private piecesLength = 0
  /** The previous chunk ended with CR: a LF opening this one belongs to that line end. */
  private afterCR = false
  /**
   * The event being built. Its data lines: the first on its own, any further ones in an
   * array (nearly every event has one line; an array per event would be an allocation per
   * event).
   */
  private data: string | undefined = undefined
  private moreData: Array<string> | undefined = undefined
  /**
   * How many of the event's data lines are already copies of their own (see `detach`), and
   * whether its type is: each is copied once, by the chunk that cut the event, never again.
   */
  private detachedLines = 0
  private eventTypeDetached = true
  private eventSize = 0
  private eventType = ""
  private lastEventId = ""
  private out: Array<SseItem> = []
  private tooLarge = false

  /** An event grew past `maxEventSize`; no more items come. */
  get failed(): boolean {
    return this.tooLarge
  }
  private stopped = false
  private sink: SseSink

  constructor(readonly maxEventSize: number, sink?: SseSink) {
    this.sink = sink ?? {
      event: (type, data, id) => {
        this.out.push({ _tag: "Event", event: type, data, id })
        return true
      },
      retry: (millis) => {
        this.out.push({ _tag: "Retry", millis })
      }
    }
  }

  /** Feeds a chunk of bytes; returns the items it completes (possibly none). */
  push(bytes: Uint8Array): Array<SseItem> {
    return this.pushText(this.decoder.decode(bytes, { stream: true }))
  }

  /**
   * Feeds a chunk of bytes to the sink. Returns "ok", "stopped" once the sink asked to stop,
   * or "too-large".
   */
  feed(bytes: Uint8Array): "ok" | "stopped" | "too-large" {
    this.pushText(this.decoder.decode(bytes, { stream: true }))
    return this.tooLarge ? "too-large" : this.stopped ? "stopped" : "ok"
  }

  /**
   * The input ended. Whatever is pending is discarded: an event not closed by a blank line
   * is never dispatched.
   */
  end(): void {
    this.decoder.decode()
    this.pieces = []
    this.clearData()
  }

  /** Feeds already-decoded text (used by `push`, and by tests). */
  pushText(text: string): Array<SseItem> {
    this.out = []
    if (this.stopped || this.tooLarge) return this.out
    let start = 0
    if (this.afterCR) {
      this.afterCR = false
      if (text.length > 0 && text.charCodeAt(0) === LF) start = 1
    }
    // Letta never sends CR, so its position is usually found once per chunk (-1) and the
    // loop runs on `indexOf("\n")` alone.
    let nextLF = text.indexOf("\n", start)
    let nextCR = text.indexOf("\r", start)
    while (nextLF !== -1 || nextCR !== -1) {
      const end = nextCR === -1 || (nextLF !== -1 && nextLF < nextCR) ? nextLF : nextCR
      let ok: boolean
      if (this.pieces.length === 0) {
        // The common case: the whole line is in this chunk, read in place.
        ok = this.line(text, start, end)
      } else {
        this.pieces.push(text.slice(start, end))
        const line = this.pieces.join("")
        this.pieces = []
        this.piecesLength = 0
        ok = this.line(line, 0, line.length)
      }
      // The items completed before the oversized event are returned, not dropped.
      if (!ok) return this.out
      if (this.stopped) return this.out
      start = end + 1
      if (end === nextCR) {
        if (start === text.length) {
          this.afterCR = true
        } else if (text.charCodeAt(start) === LF) {
          start++
        }
        nextCR = text.indexOf("\r", start)
        if (nextLF !== -1 && nextLF < start) nextLF = text.indexOf("\n", start)
      } else {
        nextLF = text.indexOf("\n", start)
        if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf("\r", start)
      }
    }
    // What waits for the next chunk must not be a slice of this one: V8 slices point into
    // their parent, so a slice would keep the whole chunk's text alive while the stream
    // waits (64 KB a stream, for an event cut between its data line and its blank line).
    if (start < text.length) {
      const rest = start === 0 ? text : copy(text.slice(start))
      this.pieces.push(rest)
      this.piecesLength += rest.length
      if (this.eventSize + this.piecesLength > this.maxEventSize + lineSlack) this.fail()
    }
    this.detach()
    return this.out
  }

  /** Copies what this chunk added to the pending event, so that none of it is a slice of the chunk. */
  private detach(): void {
    if (!this.eventTypeDetached) {
      this.eventType = copy(this.eventType)
      this.eventTypeDetached = true
    }
    if (this.data === undefined) return
    if (this.detachedLines === 0) {
      this.data = copy(this.data)
      this.detachedLines = 1
    }
    const more = this.moreData
    if (more !== undefined) {
      for (let i = this.detachedLines - 1; i < more.length; i++) more[i] = copy(more[i])
      this.detachedLines = more.length + 1
    }
  }

  private fail(): void {
    this.tooLarge = true
    this.pieces = []
    this.clearData()
  }

  /** Processes the line `text[start, end)`; false when the event grew too large. */
  private line(text: string, start: number, end: number): boolean {
    if (start === end) {
      this.dispatch()
      return true
    }
    // `data: …` first: nearly every line of a Letta stream is one.
    if (text.charCodeAt(start + 4) === COLON && start + 4 < end && text.startsWith("data", start)) {
      const colon = start + 4
      const valueStart = text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1
      const value = valueStart >= end ? "" : text.slice(valueStart, end)
      return this.addData(value)
    }
    // Other lines (comments included) are bounded like a pending line, which they were if
    // they arrived split: a long one must fail however the input was cut.
    if (this.eventSize + (end - start) > this.maxEventSize + lineSlack) {
      this.fail()
      return false
    }
    // The first colon of this line, searched for within it: `indexOf` would run on past the
    // line's end, rescanning the rest of the chunk for every line without a colon (quadratic).
    let colon = start
    while (colon < end && text.charCodeAt(colon) !== COLON) colon++
    if (colon === end) colon = -1
    if (colon === start) return true
    const field = colon === -1 ? text.slice(start, end) : text.slice(start, colon)
    const value = colon === -1
      ? ""
      : text.slice(text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1, end)
    switch (field) {
      case "data": {
        return this.addData(value)
      }
      case "event":
        this.eventType = value
        this.eventTypeDetached = false
        return true
      case "id":
        // Kept for the whole stream: a copy, not a slice of this chunk.
        if (!value.includes("\0")) this.lastEventId = copy(value)
        return true
      case "retry":
        if (digitsOnly.test(value)) this.sink.retry(Number(value))
        return true
      default:
        return true
    }
  }

  /** Adds a data line to the event; false (and the parser failed) when it makes the event too large. */
  private addData(value: string): boolean {
    if (this.data === undefined) this.data = value
    else (this.moreData ??= []).push(value)
    this.eventSize += value.length + 1
    if (this.eventSize <= this.maxEventSize) return true
    this.fail()
    return false
  }

  private clearData(): void {
    this.data = undefined
    this.moreData = undefined
    this.detachedLines = 0
  }

  private dispatch(): void {
    if (this.data !== undefined) {
      const type = this.eventType === "" ? "message" : this.eventType
      const data = this.moreData === undefined ? this.data : [this.data, ...this.moreData].join("\n")
      this.clearData()
      if (!this.sink.event(type, data, this.lastEventId)) this.stopped = true
    }
    this.eventSize = 0
    this.eventType = ""
  }
}
