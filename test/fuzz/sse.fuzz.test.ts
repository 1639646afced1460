/**
 * `Sse.decode` under bad input: random bytes, invalid UTF-8, tokens that make SSE hard, real
 * streams truncated anywhere and cut into random chunks, and events around the size bound.
 * Whatever the bytes and however they are chunked, the decoder emits exactly what the
 * reference parser finds (`test/support/sseReference.ts`) and fails with its typed error
 * exactly when the reference says the input is over the bound, after delivering every
 * event before the oversized one. Case counts scale with `FUZZ_RUNS` (see `support/fuzz.ts`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Stream } from "effect"
import { Sse } from "effect-letta"
import { loadCorpus } from "../support/corpus.js"
import { concat, cutAt, hardBytes as token, runs, timeoutFor } from "../support/fuzz.js"
import { referenceParse } from "../support/sseReference.js"

const corpus = await Effect.runPromise(loadCorpus)
const encoder = new TextEncoder()

/** Decodes `chunks`, keeping what was emitted before any failure. */
const decode = (chunks: ReadonlyArray<Uint8Array>, maxEventSize: number | undefined) => {
  const items: Array<Sse.Item> = []
  const exit = Stream.fromIterable(chunks).pipe(
    Sse.decode({ maxEventSize }),
    Stream.runForEach((item) => Effect.sync(() => items.push(item))),
    Effect.exit,
    Effect.runSync
  )
  return { items, exit }
}

/** The decoder agrees with the reference on `bytes`, whole and cut at `cuts`. */
const agrees = (bytes: Uint8Array, cuts: ReadonlyArray<number>, maxEventSize?: number) => {
  // `stream: true`: an incomplete character at the very end has not arrived yet, for the
  // decoder too.
  const text = new TextDecoder().decode(bytes, { stream: true })
  const expected = referenceParse(text, maxEventSize ?? Sse.defaultMaxEventSize)
  for (const chunks of [[bytes], cutAt(bytes, cuts)]) {
    const { exit, items } = decode(chunks, maxEventSize)
    expect(items).toEqual(expected.items)
    if (expected.tooLarge) {
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
      expect(failure?._tag === "Some" && failure.value._tag).toBe("EventTooLargeError")
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(false)
    } else {
      expect(Exit.isSuccess(exit)).toBe(true)
    }
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 16 })
const smallBound = fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined, freq: 2 })

/** A real stream, truncated, with invalid bytes spliced in now and then. */
const realStream = fc.record({
  sample: fc.constantFrom(...corpus),
  end: fc.double({ min: 0, max: 1, noNaN: true }),
  junk: fc.option(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), token), { nil: undefined, freq: 3 })
}).map(({ end, junk, sample }) => {
  let bytes: Uint8Array = encoder.encode(sample.body)
  if (junk !== undefined) {
    const at = Math.floor(junk[0] * bytes.length)
    bytes = concat([bytes.subarray(0, at), junk[1], bytes.subarray(at)])
  }
  return bytes.subarray(0, Math.round(end * bytes.length))
})

describe("Sse.decode fuzz", () => {
  it("the corpus holds the embedded server's streams (and the shared examples when present)", () => {
    expect(corpus.filter((sample) => sample.name.startsWith("server:")).length).toBeGreaterThanOrEqual(10)
    expect(corpus.every((sample) => sample.body.length > 0)).toBe(true)
  })

  it.prop("random bytes", [fc.uint8Array({ maxLength: 600 }), cuts, smallBound], ([bytes, cuts, max]) => {
    agrees(bytes, cuts, max)
  }, { timeout: timeoutFor("sseRandomBytes", 20), fastCheck: { numRuns: runs("sseRandomBytes") } })

  it.prop(
    "token soup: field names, line ends, BOMs, NULs and invalid UTF-8",
    [fc.array(token, { maxLength: 60 }), cuts, smallBound],
    ([tokens, cuts, max]) => {
      agrees(concat(tokens), cuts, max)
    },
    { timeout: timeoutFor("sseTokenSoup", 20), fastCheck: { numRuns: runs("sseTokenSoup") } }
  )

  it.prop(
    "real streams truncated anywhere, with invalid bytes, cut into random chunks",
    [realStream, cuts, fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined, freq: 3 })],
    ([bytes, cuts, max]) => {
      agrees(bytes, cuts, max)
    },
    { timeout: timeoutFor("sseRealFrames", 20), fastCheck: { numRuns: runs("sseRealFrames") } }
  )

  // Lines and events within a few characters of the bound, of every kind of line: the
  // outcome must not depend on where the chunks happen to be cut.
  const nearBound = fc.integer({ min: 1, max: 64 }).chain((max) =>
    fc.tuple(
      fc.constant(max),
      fc.array(
        fc.tuple(
          fc.constantFrom("data: ", "data:", ": ", "event: ", "id: ", "x-unknown: ", ""),
          fc.integer({ min: Math.max(0, max - 10), max: max + 10 }),
          fc.constantFrom("\n", "\n\n", "\r\n", "\r", "")
        ),
        { minLength: 1, maxLength: 6 }
      )
    )
  )
  it.prop("events and lines around the size bound", [nearBound, cuts], ([[max, lines], cuts]) => {
    const text = lines.map(([field, length, end]) => `${field}${"v".repeat(length)}${end}`).join("")
    agrees(encoder.encode(text), cuts, max)
  }, { timeout: timeoutFor("sseOversized", 20), fastCheck: { numRuns: runs("sseOversized") } })

  it("the events before an oversized one are delivered, whatever the chunking", () => {
    const bytes = encoder.encode(`data: 1\n\ndata: 2\n\ndata: ${"x".repeat(100)}\n\ndata: 3\n\n`)
    for (const chunks of [[bytes], cutAt(bytes, [5]), Array.from(bytes, (byte) => Uint8Array.of(byte))]) {
      const { exit, items } = decode(chunks, 50)
      expect(items.map((item) => item._tag === "Event" && item.data)).toEqual(["1", "2"])
      expect(Exit.isFailure(exit)).toBe(true)
    }
  })

  it("a long comment or field line fails the same way whole or split", () => {
    const text = `: ${"c".repeat(100)}\ndata: ok\n\n`
    for (const chunks of [[text], [text.slice(0, 60), text.slice(60)]]) {
      const { exit, items } = decode(chunks.map((chunk) => encoder.encode(chunk)), 50)
      expect([items.length, Exit.isFailure(exit)]).toEqual([0, true])
    }
  })

  it("a chunk of millions of lines without a colon is read in one pass", () => {
    // Searching each line for its colon past the line's end rescanned the rest of the chunk
    // for every line: over half a minute for this chunk (vitest fails a synchronous test that
    // overran its timeout once it returns); now milliseconds.
    const bytes = encoder.encode(`${"x\n".repeat(2_000_000)}:\ndata: end\n\n`)
    const { exit, items } = decode([bytes], undefined)
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(items).toEqual([{ _tag: "Event", event: "message", data: "end", id: "" }])
  }, 10_000)

  it("an endless line fails once it passes the bound, however it arrives", () => {
    const piece = encoder.encode("y".repeat(1024))
    const { exit, items } = decode(Array.from({ length: 200 }, () => piece), 64 * 1024)
    expect(items).toEqual([])
    expect(Exit.isFailure(exit)).toBe(true)
  })
})
