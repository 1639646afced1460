/**
 * The client's streaming operation under bad input, through its whole path (status and
 * content type, SSE, JSON, schemas, end-of-stream rules, time limits) over an in-memory
 * `HttpClient` (`support/scriptedHttp.ts`), so thousands of cases stay cheap; the wire fuzz
 * test runs the same cases over loopback. Inputs: real streams (the embedded server's and
 * the shared examples) with a frame mutated (an unknown `message_type`, a field dropped,
 * retyped or added, invalid bytes spliced in), truncated anywhere, cut into random chunks,
 * ending cleanly, dropped or silent; random bytes; deeply nested JSON.
 *
 * Every case must deliver exactly the messages `support/streamOracle.ts` works out on its own
 * and end the way it says: a success or one typed `LettaError`, never a defect, never lost or
 * invented data, never a hang (silence ends at the idle limit, driven by the TestClock).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import type { Schemas } from "effect-letta"
import { loadCorpus } from "../support/corpus.js"
import { concat, cutAt, hardBytes, runs, timeoutFor } from "../support/fuzz.js"
import { scriptedClient } from "../support/scriptedHttp.js"
import { cuts, jsonLines, matches, mutate, realCase, runStreamCase, settings, unknownType } from "../support/streamCases.js"
import type { StreamCase } from "../support/streamOracle.js"

const corpus = await Effect.runPromise(loadCorpus)
const encoder = new TextEncoder()

describe("streaming fuzz, in memory", () => {
  const { layer, script } = scriptedClient()
  /** Runs `input` with its bytes cut at `cuts`, answered from memory. */
  const runCase = (input: StreamCase, cuts: ReadonlyArray<number>) =>
    runStreamCase(input, {
      prepare: Effect.sync(() => {
        script.next = {
          status: 200,
          headers: { "content-type": "text/event-stream; charset=utf-8" },
          chunks: cutAt(input.bytes, cuts),
          ending: input.ending
        }
      })
    })

  it.layer(layer)((it) => {
    it.effect.prop(
      "real streams, mutated, truncated, re-chunked, ending every way",
      [realCase(corpus), cuts],
      ([input, cuts]) => Effect.map(runCase(input, cuts), matches),
      { timeout: timeoutFor("clientRealFrames", 40), fastCheck: { numRuns: runs("clientRealFrames") } }
    )

    it.effect.prop(
      "random bytes and byte soup",
      [fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(hardBytes, { maxLength: 40 }).map(concat)), settings, cuts],
      ([bytes, settings, cuts]) => Effect.map(runCase({ ...settings, bytes }, cuts), matches),
      { timeout: timeoutFor("clientRandomBytes", 40), fastCheck: { numRuns: runs("clientRandomBytes") } }
    )

    // Successful real streams (they end with [DONE]) with one frame of a type this client
    // does not know: it arrives as an UnknownMessage in its place, and the stream goes on.
    const complete = corpus.filter((sample) =>
      sample.name.startsWith("server:") && sample.body.endsWith("data: [DONE]\n\n") &&
      !sample.body.includes("event: error") && !sample.body.includes("\"cancelled\"")
    )
    it.effect.prop(
      "an unknown message_type is delivered as UnknownMessage and the stream goes on",
      [fc.constantFrom(...complete), fc.nat(), unknownType, cuts],
      ([sample, frame, type, cuts]) =>
        Effect.gen(function*() {
          const lines = sample.body.split("\n")
          const candidates = jsonLines(lines)
          const index = candidates[frame % candidates.length]
          const original = JSON.parse(lines[index].slice("data: ".length))
          const bytes = mutate(sample.body, frame, { _tag: "UnknownType", type })
          const outcome = yield* runCase({
            bytes,
            ending: "end",
            includePings: true,
            onMalformedEvent: "fail",
            maxEventSize: 8 * 1024 * 1024
          }, cuts)
          matches(outcome)
          const { message_type: _, ...payload } = original
          expect(outcome.received).toContainEqual({ message_type: "unknown_message", received_message_type: type, payload })
          // The stream went on to its end.
          expect(outcome.error).toBeUndefined()
        }),
      { timeout: timeoutFor("clientUnknownTypes", 40), fastCheck: { numRuns: runs("clientUnknownTypes") } }
    )

    const nested = (depth: number, kind: "array" | "object") =>
      kind === "array" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}`
    const deepFrame = (where: "message" | "unknown" | "error" | "bare" | "stop", value: string) => {
      switch (where) {
        case "message":
          return `data: {"id":"message-1","date":"2026-08-01T12:00:00+00:00","message_type":"assistant_message","content":${value}}\n\n`
        case "unknown":
          return `data: {"message_type":"brand_new_type","deep":${value}}\n\n`
        case "error":
          return `event: error\ndata: {"message_type":"error_message","run_id":"run-1","error_type":"x","message":"m","detail":${value}}\n\n`
        case "bare":
          return `data: ${value}\n\n`
        case "stop":
          return `data: {"message_type":"stop_reason","stop_reason":"end_turn","extra":${value}}\n\n`
      }
    }
    const tail = `data: {"id":"message-2","date":"2026-08-01T12:00:00+00:00","message_type":"assistant_message","content":"after"}\n\n` +
      `data: {"message_type":"stop_reason","stop_reason":"end_turn"}\n\ndata: [DONE]\n\n`
    it.effect.prop(
      "deeply nested JSON (up to 100,000 levels) is a typed error or a message, never a stack overflow",
      [
        fc.constantFrom(1_000, 10_000, 100_000),
        fc.constantFrom("array" as const, "object" as const),
        fc.constantFrom("message" as const, "unknown" as const, "error" as const, "bare" as const, "stop" as const),
        fc.constantFrom("fail" as const, "skip" as const)
      ],
      ([depth, kind, where, onMalformedEvent]) =>
        Effect.gen(function*() {
          const input: StreamCase = {
            bytes: encoder.encode(deepFrame(where, nested(depth, kind)) + tail),
            ending: "end",
            includePings: false,
            onMalformedEvent,
            maxEventSize: 8 * 1024 * 1024
          }
          const outcome = yield* runCase(input, [])
          // Types only: comparing 100,000-level values would overflow the comparison itself.
          const types = (messages: ReadonlyArray<Schemas.LettaStreamingMessage>) => messages.map((m) => m.message_type)
          expect(types(outcome.received)).toEqual(types(outcome.expected.messages))
          expect(outcome.error?._tag).toBe(outcome.expected.error)
          if (where === "unknown") expect(types(outcome.received)[0]).toBe("unknown_message")
          if (where === "error") expect(outcome.error?._tag).toBe("StreamError")
        }),
      { timeout: timeoutFor("clientDeepNesting", 500), fastCheck: { numRuns: runs("clientDeepNesting") } }
    )
  })
})
