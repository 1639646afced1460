/**
 * Shared pieces of the fuzz tests: how many cases each property runs, cutting bytes into
 * chunks, and the check that an outcome is a value or a typed `LettaError`, never a defect.
 */
import { Cause, Exit, FastCheck as fc } from "effect"
import { LettaError } from "effect-letta"
import { expect } from "vitest"
import { renderings } from "./render.js"

/**
 * Each fuzz property's share of the total number of cases, weighted by what a case costs
 * (a wire case is a real HTTP exchange; a decoder case is microseconds). `FUZZ_RUNS` sets
 * the total over all of `test/fuzz` (`npm run test:fuzz` runs 100,000); CI runs the default.
 */
const shares = {
  sseRandomBytes: 16,
  sseRealFrames: 16,
  sseTokenSoup: 10,
  sseOversized: 8,
  clientRealFrames: 20,
  clientRandomBytes: 6,
  clientUnknownTypes: 5,
  clientDeepNesting: 1,
  errorBodies: 12,
  jsonBodies: 8,
  wireStreams: 6
} as const

const defaultTotal = 2_400

const total = (() => {
  const raw = process.env.FUZZ_RUNS
  if (raw === undefined || raw === "") return defaultTotal
  const parsed = Number(raw)
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`FUZZ_RUNS must be a positive whole number, got ${raw}`)
  return parsed
})()

const sum = Object.values(shares).reduce((a, b) => a + b, 0)

/** The number of cases `property` runs. */
export const runs = (property: keyof typeof shares): number => Math.max(1, Math.round((total * shares[property]) / sum))

/** A test timeout that grows with the number of cases (vitest's default suits CI's count). */
export const timeoutFor = (property: keyof typeof shares, millisPerCase: number): number =>
  Math.max(30_000, runs(property) * millisPerCase)

/** `bytes` cut at `cuts` (positions modulo the length, so any numbers will do). */
export const cutAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    out.push(bytes.subarray(from, point))
    from = point
  }
  return out
}

const encoder = new TextEncoder()

/** Byte sequences that make SSE and UTF-8 hard, invalid UTF-8 among them. */
export const hardBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(
    "data:",
    "data: ",
    "data",
    "event: error",
    "event: cancelled",
    "event:",
    "id: 7",
    "id: \0",
    "retry: 3000",
    "retry: x",
    ": comment",
    ":",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    " ",
    "[DONE]",
    "{\"message_type\":\"ping\"}",
    "\ufeff",
    "é",
    "😀",
    "\0"
  ).map((text) => encoder.encode(text)),
  fc.constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc3], // a lead byte alone
    [0xe2, 0x82], // a truncated €
    [0xf0, 0x9f, 0x98], // a truncated emoji
    [0xc0, 0x80], // an overlong NUL
    [0xed, 0xa0, 0x80], // a UTF-16 surrogate
    [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    [0x80, 0x80, 0x80]
  ).map((bytes) => Uint8Array.from(bytes)),
  fc.uint8Array({ maxLength: 8 })
)

/**
 * Values that break code that converts or prints naively travel through the generators as
 * markers, expanded in the JSON text: built as values, they would break the test's own
 * printing and `JSON.stringify`. `deepMarker(n)`: arrays nested `n` deep (`String` and
 * `JSON.stringify` overflow the stack); `unprintable`: an object `String` cannot convert.
 */
export const deepMarker = (depth: number) => `__deep_${depth}__`
export const unprintable = "__unprintable__"

/** `text` with its markers expanded. */
export const expandMarkers = (text: string): string =>
  text
    .replace(/"__deep_(\d+)__"/g, (_, depth: string) => `${"[".repeat(Number(depth))}${"]".repeat(Number(depth))}`)
    .replaceAll(`"${unprintable}"`, `{"toString":1,"valueOf":1}`)

/** The parts, one after the other. */
export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Every tag of the union; the compiler checks that the list is the union, no more, no less. */
const tagList: Record<LettaError.LettaError["_tag"], true> = {
  BadRequestError: true,
  AuthenticationError: true,
  PaymentRequiredError: true,
  PermissionDeniedError: true,
  NotFoundError: true,
  ConflictError: true,
  GoneError: true,
  UnprocessableEntityError: true,
  RateLimitError: true,
  ServerError: true,
  UnexpectedStatusError: true,
  TransportError: true,
  TimeoutError: true,
  StreamError: true,
  StreamCancelledError: true,
  StreamTruncatedError: true,
  RunFailedError: true,
  RunCancelledError: true,
  RunNotStreamableError: true,
  ApprovalRequiredError: true,
  ToolRoundLimitError: true,
  DecodeError: true,
  InvalidRequestError: true
}

/** The tags of `LettaError`. */
export const lettaErrorTags: ReadonlySet<string> = new Set(Object.keys(tagList))

/**
 * The exit is a success or a failure with exactly one typed `LettaError`: no defect, no
 * interruption; and the error can be printed every usual way without throwing. Returns the
 * error, if any.
 */
export const expectTyped = <A>(exit: Exit.Exit<A, unknown>): LettaError.LettaError | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const cause = exit.cause
  if (Cause.isDie(cause) || Cause.isInterrupted(cause)) {
    throw new Error(`not a typed failure:\n${Cause.pretty(cause)}`)
  }
  const failures = [...Cause.failures(cause)]
  expect(failures.length).toBe(1)
  const error = failures[0]
  expect(LettaError.isLettaError(error)).toBe(true)
  expect(lettaErrorTags.has((error as LettaError.LettaError)._tag)).toBe(true)
  renderings(error)
  Cause.pretty(cause)
  return error as LettaError.LettaError
}
