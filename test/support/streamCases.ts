/**
 * Stream fuzz cases shared by the in-memory and the wire fuzz tests: real streams (from
 * `corpus.ts`) with one frame mutated, truncated, and read under random settings; and
 * running one case against the client, checked against `streamOracle.ts`.
 */
import { Effect, FastCheck as fc, Fiber, Logger, LogLevel, Stream, TestClock } from "effect"
import { Accumulator, LettaClient, type Schemas } from "effect-letta"
import { expect } from "vitest"
import { realTick } from "./clock.js"
import type { Sample } from "./corpus.js"
import { agentId } from "./frames.js"
import { concat, deepMarker, expandMarkers, expectTyped, hardBytes, unprintable } from "./fuzz.js"
import { type Ending, type Expected, expectedOutcome, type StreamCase } from "./streamOracle.js"

const encoder = new TextEncoder()
const idle = "1 minute"

/** What one case delivered, how it ended, and what the oracle expected. */
export interface Outcome {
  readonly received: ReadonlyArray<Schemas.LettaStreamingMessage>
  readonly expected: Expected
  readonly error: { readonly _tag: string } | undefined
}

/**
 * Runs one case: `prepare` readies the answer before the request goes out, `serve` plays
 * it after (for a server that waits for the request). A silent stream is moved past its
 * idle limit with the TestClock once it has delivered what it should.
 */
export const runStreamCase = <R1 = never, R2 = never>(input: StreamCase, steps: {
  readonly prepare?: Effect.Effect<void, never, R1> | undefined
  readonly serve?: Effect.Effect<void, never, R2> | undefined
}) =>
  Effect.gen(function*() {
    const client = yield* LettaClient.LettaClient
    const expected = expectedOutcome(input)
    if (steps.prepare !== undefined) yield* steps.prepare
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
    if (steps.serve !== undefined) yield* steps.serve
    if (input.ending === "silent") yield* settle(fiber, () => received.length >= expected.messages.length)
    const exit = yield* Fiber.join(fiber)
    const error = expectTyped(exit)
    return { received, expected, error } satisfies Outcome
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

/**
 * The client delivered exactly what the oracle expected, and ended the same way; and what
 * it delivered, however odd, folds into whole messages without throwing.
 */
export const matches = (outcome: Outcome) => {
  expect(outcome.received).toEqual(outcome.expected.messages)
  expect(outcome.error?._tag).toBe(outcome.expected.error)
  expect(Accumulator.fold(outcome.received).length).toBeLessThanOrEqual(outcome.received.length)
}

export type Mutation =
  | { readonly _tag: "None" }
  | { readonly _tag: "UnknownType"; readonly type: string }
  | { readonly _tag: "DropKey"; readonly pick: number }
  | { readonly _tag: "SetKey"; readonly pick: number; readonly value: unknown }
  | { readonly _tag: "AddKey"; readonly key: string; readonly value: unknown }
  | { readonly _tag: "Bytes"; readonly at: number; readonly junk: Uint8Array }
  | { readonly _tag: "Hostile"; readonly pick: number; readonly marker: string }

export const unknownType = fc.oneof(
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
  fc.record({ _tag: fc.constant("Bytes" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), junk: hardBytes }),
  // A value naive code cannot convert or print, in any field, the discriminator included.
  fc.record({
    _tag: fc.constant("Hostile" as const),
    pick: fc.nat(),
    marker: fc.constantFrom(unprintable, deepMarker(20_000))
  })
)

/** The JSON `data:` lines of a body. */
export const jsonLines = (lines: ReadonlyArray<string>) => lines.flatMap((line, i) => (line.startsWith("data: {") ? [i] : []))

/** `body` with `mutation` applied to its `frame`-th JSON frame. */
export const mutate = (body: string, frame: number, mutation: Mutation): Uint8Array => {
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
    case "Hostile":
      json[mutation.pick % 2 === 0 ? "message_type" : keys[mutation.pick % keys.length] ?? "x"] = mutation.marker
      break
  }
  lines[index] = `data: ${expandMarkers(JSON.stringify(json))}`
  return encoder.encode(lines.join("\n"))
}

const ending: fc.Arbitrary<Ending> = fc.oneof(
  { arbitrary: fc.constant("end" as const), weight: 3 },
  { arbitrary: fc.constant("drop" as const), weight: 2 },
  { arbitrary: fc.constant("silent" as const), weight: 1 }
)

/** How the client is asked to read the stream. */
export const settings = fc.record({
  ending,
  includePings: fc.boolean(),
  onMalformedEvent: fc.constantFrom("fail" as const, "skip" as const),
  maxEventSize: fc.oneof(
    { arbitrary: fc.constant(8 * 1024 * 1024), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 3_000 }), weight: 1 }
  )
})

/** A real stream from `corpus`, one frame mutated, truncated anywhere. */
export const realCase = (corpus: ReadonlyArray<Sample>) => fc.record({
  sample: fc.constantFrom(...corpus),
  frame: fc.nat(),
  mutation,
  end: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
  settings
}).map(({ end, frame, mutation, sample, settings }): StreamCase => {
  const bytes = mutate(sample.body, frame, mutation)
  return { ...settings, bytes: bytes.subarray(0, Math.round(end * bytes.length)) }
})

export const cuts = fc.array(fc.nat(), { maxLength: 12 })

