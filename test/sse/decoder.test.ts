/**
 * The SSE decoder against an independent, whole-input reference parser written from the
 * WHATWG rules (`test/support/sseReference.ts`), over random event sequences cut into
 * random chunks (down to single bytes).
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, FastCheck as fc, Stream } from "effect"
import { Sse } from "effect-letta"
import { SseParser } from "../../src/internal/sseParser.js"
import { cutAt } from "../support/fuzz.js"
import { reference } from "../support/sseReference.js"

const encoder = new TextEncoder()

/** Runs the decoder over `bytes` cut at `cuts`. */
const decodeChunks = (chunks: ReadonlyArray<Uint8Array>, maxEventSize?: number) =>
  Stream.fromIterable(chunks).pipe(Sse.decode({ maxEventSize }), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

const lineEnd = fc.constantFrom("\n", "\r", "\r\n")
// Text with the characters that make SSE and UTF-8 hard: colons, spaces, CR/LF inside
// values (they end lines), NUL, multi-byte characters and astral emoji.
const value = fc.stringOf(
  fc.oneof(
    fc.constantFrom(":", " ", "a", "é", "€", "𝄞", "😀", "\0", "data", "[DONE]", "{", "}", "\""),
    fc.char()
  ),
  { maxLength: 12 }
)
const line = fc.oneof(
  value.map((v) => `data: ${v}`),
  value.map((v) => `data:${v}`),
  fc.constant("data"),
  value.map((v) => `event: ${v}`),
  value.map((v) => `id: ${v}`),
  fc.oneof(fc.nat({ max: 99999 }).map(String), value).map((v) => `retry: ${v}`),
  value.map((v) => `: ${v}`),
  value.map((v) => `${v}: ${v}`),
  fc.constant("")
)
const document = fc.tuple(
  fc.boolean(),
  fc.array(fc.tuple(line, lineEnd), { maxLength: 25 }),
  fc.oneof(fc.constant(""), value.map((v) => `data: ${v}`))
).map(([bom, lines, tail]) => `${bom ? "\ufeff" : ""}${lines.map(([l, e]) => l + e).join("")}${tail}`)

describe("Sse.decode", () => {
  it.effect.prop(
    "decodes like the reference parser, however the bytes are cut",
    [document, fc.array(fc.nat(), { maxLength: 12 })],
    ([text, cuts]) =>
      Effect.gen(function*() {
        const bytes = encoder.encode(text)
        const expected = reference(text)
        expect(yield* decodeChunks([bytes])).toEqual(expected)
        expect(yield* decodeChunks(cutAt(bytes, cuts))).toEqual(expected)
        expect(yield* decodeChunks(Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual(expected)
      }),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect("a CRLF split across chunks is one line end", () =>
    Effect.gen(function*() {
      const events = yield* decodeChunks([encoder.encode("data: a\r"), encoder.encode("\ndata: b\r\n\r"), encoder.encode("\n")])
      expect(events).toEqual([{ _tag: "Event", event: "message", data: "a\nb", id: "" }])
    }))

  it.effect("a UTF-8 character split across chunks, and a leading BOM", () =>
    Effect.gen(function*() {
      const bytes = encoder.encode("\ufeffdata: 😀 ok\n\n")
      const events = yield* decodeChunks([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])
      expect(events).toEqual([{ _tag: "Event", event: "message", data: "😀 ok", id: "" }])
    }))

  it.effect("events after a `retry:` field are not lost; retry is reported", () =>
    Effect.gen(function*() {
      const events = yield* decodeChunks([encoder.encode("retry: 3000\n\ndata: 1\n\nretry: x\ndata: 2\n\n")])
      expect(events).toEqual([
        { _tag: "Retry", millis: 3000 },
        { _tag: "Event", event: "message", data: "1", id: "" },
        { _tag: "Event", event: "message", data: "2", id: "" }
      ])
    }))

  it.effect("named events, persisting ids, comments and empty data", () =>
    Effect.gen(function*() {
      const text = ": keep-alive\nid: 7\nevent: error\ndata: {\"x\":1}\n\ndata:\n\nid\ndata: after\n\n"
      expect(yield* decodeChunks([encoder.encode(text)])).toEqual([
        { _tag: "Event", event: "error", data: "{\"x\":1}", id: "7" },
        { _tag: "Event", event: "message", data: "", id: "7" },
        { _tag: "Event", event: "message", data: "after", id: "" }
      ])
    }))

  it.effect("an event not closed by a blank line at the end is not dispatched", () =>
    Effect.gen(function*() {
      expect(yield* decodeChunks([encoder.encode("data: 1\n\ndata: 2\n")])).toEqual([
        { _tag: "Event", event: "message", data: "1", id: "" }
      ])
    }))

  it.effect("an oversized event fails with a typed error, also when it never ends a line", () =>
    Effect.gen(function*() {
      const big = yield* decodeChunks([encoder.encode(`data: ${"x".repeat(100)}\n\n`)], 50).pipe(Effect.flip)
      expect(big._tag).toBe("EventTooLargeError")
      const manyLines = yield* decodeChunks([encoder.encode("data: 0123456789\n".repeat(10))], 50).pipe(Effect.flip)
      expect(manyLines._tag).toBe("EventTooLargeError")
      const endless = yield* decodeChunks(Array.from({ length: 100 }, () => encoder.encode("yyyyyyyyyy")), 50).pipe(
        Effect.flip
      )
      expect(endless._tag).toBe("EventTooLargeError")
      // The bound is per event: many small events are fine.
      const many = yield* decodeChunks([encoder.encode("data: 0123456789\n\n".repeat(100))], 50)
      expect(many.length).toBe(100)
    }))

  it.effect("the decoded stream can be run twice", () =>
    Effect.gen(function*() {
      const stream = Stream.make(encoder.encode("data: a\n"), encoder.encode("\n")).pipe(Sse.decode())
      const first = yield* Stream.runCollect(stream)
      const second = yield* Stream.runCollect(stream)
      expect(Chunk.toReadonlyArray(second)).toEqual(Chunk.toReadonlyArray(first))
      expect(Chunk.size(first)).toBe(1)
    }))

  it("splits its work in linear time: no rescan of a long line fed byte by byte", () => {
    // Not a timing assertion: the parser keeps a line's pieces and joins them once, so a
    // 200 KB line in 1-byte pieces is one join, and the event comes out whole.
    const parser = new SseParser(1024 * 1024)
    const payload = "z".repeat(200_000)
    let emitted = 0
    for (const char of `data: ${payload}`) emitted += parser.pushText(char).length
    expect(emitted).toBe(0)
    expect(parser.pushText("\n\n")).toEqual([{ _tag: "Event", event: "message", data: payload, id: "" }])
  })
})
