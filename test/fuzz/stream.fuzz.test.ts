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
import { Effect, FastCheck as fc, Fiber, Logger, LogLevel, Stream, TestClock } from "effect"
import { LettaClient, type Schemas } from "effect-letta"
import { realTick } from "../support/clock.js"
import { loadCorpus } from "../support/corpus.js"
import { agentId } from "../support/frames.js"
import { concat, cutAt, expectTyped, hardBytes, runs, timeoutFor } from "../support/fuzz.js"
import { scriptedClient } from "../support/scriptedHttp.js"
import { type Ending, type Expected, expectedOutcome, type StreamCase } from "../support/streamOracle.js"

const corpus = await Effect.runPromise(loadCorpus)
const encoder = new TextEncoder()
const idle = "1 minute"

/** Sends a stream request answered by `input`'s bytes cut at `cuts`; returns what arrived. */
const runCase = (script: ReturnType<typeof scriptedClient>["script"], input: StreamCase, cuts: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const client = yield* LettaClient.LettaClient
    const expected = expectedOutcome(input)
    script.next = {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8" },
      chunks: cutAt(input.bytes, cuts),
      ending: input.ending
    }
    const received: Array<Schemas.LettaStreamingMessage> = []
    const stream = client.agents.messages.stream(agentId, { input: "x" }, {
      includePings: input.includePings,
      onMalformedEvent: input.onMalformedEvent,
      maxEventSize: input.maxEventSize,
      timeouts: { headers: idle, idle }
    })
    const fiber = yield* Effect.fork(
      Stream.runForEach(stream, (message) => Effect.sync(() => received.push(message))).pipe(Effect.exit)
    )
    if (input.ending === "silent") yield* settle(fiber, () => received.length >= expected.messages.length)
    const exit = yield* Fiber.join(fiber)
    const error = expectTyped(exit)
    return { received, expected, error }
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))

/**
 * Lets a silent stream run to its end: it is moved past its idle limit with the TestClock
 * once everything it should deliver has arrived (not before: that would cut it short). A
 * stream still running after that is a hang, and fails the test.
 */
const settle = <A>(fiber: Fiber.RuntimeFiber<A>, delivered: () => boolean) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 5_000 && fiber.unsafePoll() === null; turn++) {
      yield* realTick
      if (delivered() && turn % 4 === 3) yield* TestClock.adjust("61 seconds")
    }
    if (fiber.unsafePoll() === null) return yield* Effect.dieMessage("the stream did not end")
  })

const matches = (outcome: { received: ReadonlyArray<unknown>; expected: Expected; error: { _tag: string } | undefined }) => {
  expect(outcome.received).toEqual(outcome.expected.messages)
  expect(outcome.error?._tag).toBe(outcome.expected.error)
}

type Mutation =
  | { readonly _tag: "None" }
  | { readonly _tag: "UnknownType"; readonly type: string }
  | { readonly _tag: "DropKey"; readonly pick: number }
  | { readonly _tag: "SetKey"; readonly pick: number; readonly value: unknown }
  | { readonly _tag: "AddKey"; readonly key: string; readonly value: unknown }
  | { readonly _tag: "Bytes"; readonly at: number; readonly junk: Uint8Array }

const unknownType = fc.oneof(
  fc.constantFrom("response_state", "new_message", "Assistant_Message", ""),
  fc.string({ maxLength: 12 })
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ _tag: "None" as const }), weight: 3 },
  fc.record({ _tag: fc.constant("UnknownType" as const), type: unknownType }),
  fc.record({ _tag: fc.constant("DropKey" as const), pick: fc.nat() }),
  fc.record({ _tag: fc.constant("SetKey" as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    _tag: fc.constant("AddKey" as const),
    key: fc.oneof(fc.constantFrom("__proto__", "constructor", "message_type"), fc.string({ maxLength: 8 })),
    value: fc.jsonValue({ maxDepth: 2 })
  }),
  fc.record({ _tag: fc.constant("Bytes" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), junk: hardBytes })
)

/** The JSON `data:` lines of a body. */
const jsonLines = (lines: ReadonlyArray<string>) => lines.flatMap((line, i) => (line.startsWith("data: {") ? [i] : []))

/** `body` with `mutation` applied to its `frame`-th JSON frame. */
const mutate = (body: string, frame: number, mutation: Mutation): Uint8Array => {
  if (mutation._tag === "Bytes") {
    const bytes = encoder.encode(body)
    const at = Math.floor(mutation.at * bytes.length)
    return concat([bytes.subarray(0, at), mutation.junk, bytes.subarray(at)])
  }
  const lines = body.split("\n")
  const candidates = jsonLines(lines)
  if (mutation._tag === "None" || candidates.length === 0) return encoder.encode(body)
  const index = candidates[frame % candidates.length]
  const json = JSON.parse(lines[index].slice("data: ".length)) as Record<string, unknown>
  const keys = Object.keys(json)
  switch (mutation._tag) {
    case "UnknownType":
      json.message_type = mutation.type
      break
    case "DropKey":
      if (keys.length > 0) delete json[keys[mutation.pick % keys.length]]
      break
    case "SetKey":
      if (keys.length > 0) json[keys[mutation.pick % keys.length]] = mutation.value
      break
    case "AddKey":
      // An own property even for `__proto__`, as `JSON.parse` makes it.
      Object.defineProperty(json, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true })
      break
  }
  lines[index] = `data: ${JSON.stringify(json)}`
  return encoder.encode(lines.join("\n"))
}

const ending: fc.Arbitrary<Ending> = fc.oneof(
  { arbitrary: fc.constant("end" as const), weight: 3 },
  { arbitrary: fc.constant("drop" as const), weight: 2 },
  { arbitrary: fc.constant("silent" as const), weight: 1 }
)

/** How the client is asked to read the stream. */
const settings = fc.record({
  ending,
  includePings: fc.boolean(),
  onMalformedEvent: fc.constantFrom("fail" as const, "skip" as const),
  maxEventSize: fc.oneof(
    { arbitrary: fc.constant(8 * 1024 * 1024), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 3_000 }), weight: 1 }
  )
})

const realCase = fc.record({
  sample: fc.constantFrom(...corpus),
  frame: fc.nat(),
  mutation,
  end: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  settings
}).map(({ end, frame, mutation, sample, settings }): StreamCase => {
  const bytes = mutate(sample.body, frame, mutation)
  return { ...settings, bytes: bytes.subarray(0, Math.round(end * bytes.length)) }
})

const cuts = fc.array(fc.nat(), { maxLength: 12 })

describe("streaming fuzz, in memory", () => {
  const { layer, script } = scriptedClient()

  it.layer(layer)((it) => {
    it.effect.prop(
      "real streams, mutated, truncated, re-chunked, ending every way",
      [realCase, cuts],
      ([input, cuts]) => Effect.map(runCase(script, input, cuts), matches),
      { timeout: timeoutFor("clientRealFrames", 40), fastCheck: { numRuns: runs("clientRealFrames") } }
    )

    it.effect.prop(
      "random bytes and byte soup",
      [fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(hardBytes, { maxLength: 40 }).map(concat)), settings, cuts],
      ([bytes, settings, cuts]) => Effect.map(runCase(script, { ...settings, bytes }, cuts), matches),
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
          const outcome = yield* runCase(script, {
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
          const outcome = yield* runCase(script, input, [])
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
