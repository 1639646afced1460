/**
 * The compiled decoder must agree with Effect's: wherever its fast path accepts an input,
 * Effect accepts it too and decodes it to the same value, and wherever Effect accepts an
 * input the fast path does too (anything else would only cost speed, but is tested so the
 * hot path really is fast). Checked on every exported schema, with valid wire values and
 * with corrupted ones.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Option, Schema } from "effect"
import { LettaError, Schemas } from "effect-letta"
import { fastPathOf, makeDecoder } from "../../src/internal/fastDecode.js"

const exported = Object.entries(Schemas as Record<string, unknown>).filter(
  (entry): entry is [string, Schema.Schema<unknown, unknown>] => Schema.isSchema(entry[1])
)

/** A JSON value that may be anything the wire can carry. */
const anyJson = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 4 }), fc.constant([]), fc.constant({}), fc.constantFrom("text", "assistant_message", "message", "tool", "approval", "2026-08-01T12:00:00+00:00"))

type Path = ReadonlyArray<string | number>

/** Every path into a JSON value. */
const pathsOf = (value: unknown, prefix: Path = []): Array<Path> => {
  const out: Array<Path> = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])))
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]))
  }
  return out
}

/** `value` with the node at `path` replaced (`undefined` deletes it). */
const replaceAt = (value: unknown, path: Path, replacement: unknown): unknown => {
  if (path.length === 0) return replacement
  const [head, ...rest] = path
  if (Array.isArray(value)) {
    const copy = [...value]
    copy[head as number] = replaceAt(copy[head as number], rest, replacement)
    return copy
  }
  const copy = { ...(value as Record<string, unknown>) }
  const next = replaceAt(copy[head as string], rest, replacement)
  if (next === undefined) delete copy[head as string]
  else copy[head as string] = next
  return copy
}

/** Every object's own keys in order, depth first: the output must match Effect's key order too. */
const keyOrder = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(keyOrder)
    : typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
    ? Object.entries(value).map(([key, inner]) => [key, keyOrder(inner)])
    : null

const agree = (schema: Schema.Schema<unknown, unknown>, input: unknown) => {
  const effect = Schema.decodeUnknownEither(schema)(input)
  // Both the generated struct decoders and the closures used where generated code is not allowed.
  for (const generate of [true, false]) {
    const fast = fastPathOf(schema, { generate })(input)
    const which = generate ? "generated" : "closure"
    if (Option.isSome(fast)) {
      expect(Either.isRight(effect), `${which} fast path accepted what Effect rejects: ${JSON.stringify(input)}`).toBe(true)
      if (Either.isRight(effect)) {
        expect(fast.value).toEqual(effect.right)
        expect(keyOrder(fast.value)).toEqual(keyOrder(effect.right))
      }
    } else {
      expect(Either.isLeft(effect), `${which} fast path rejected what Effect accepts: ${JSON.stringify(input)}`).toBe(true)
    }
  }
  // And the public decoder returns exactly Effect's result.
  const result = makeDecoder(schema)(input)
  expect(Either.isRight(result)).toBe(Either.isRight(effect))
  if (Either.isRight(result) && Either.isRight(effect)) expect(result.right).toEqual(effect.right)
}

describe("the compiled decoder agrees with Effect's", () => {
  for (const [name, schema] of exported) {
    const wire = Arbitrary.make(schema).map((value) => JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value))) as unknown)
    it.prop(`${name}: valid and corrupted wire values`, [
      wire,
      fc.nat(),
      fc.oneof(anyJson, fc.constant(undefined))
    ], ([value, pick, replacement]) => {
      agree(schema, value)
      const paths = pathsOf(value)
      agree(schema, replaceAt(value, paths[pick % paths.length], replacement))
    }, { fastCheck: { numRuns: 60 } })
  }

  it.prop("arbitrary JSON against the stream union", [fc.jsonValue({ maxDepth: 3 })], ([value]) => {
    agree(Schemas.LettaStreamingMessage as Schema.Schema<unknown, unknown>, value)
  })

  it("errors too: the union of error classes", () => {
    const error = new LettaError.NotFoundError({ status: 404, method: "GET", url: "http://x/" })
    agree(LettaError.LettaError as Schema.Schema<unknown, unknown>, Schema.encodeSync(LettaError.LettaError)(error))
  })

  it("a message without its optional fields keeps only the ones it has, in schema order", () => {
    const input = { content: "hi", message_type: "assistant_message", date: "2026-08-01T12:00:00Z", id: "m-1", run_id: "r" }
    for (const generate of [true, false]) {
      const fast = fastPathOf(Schemas.LettaStreamingMessage as Schema.Schema<unknown, unknown>, { generate })(input)
      expect(Option.isSome(fast)).toBe(true)
      expect(Object.keys(Option.getOrThrow(fast) as object).sort()).toEqual(["content", "date", "id", "message_type", "run_id"])
    }
    agree(Schemas.LettaStreamingMessage as Schema.Schema<unknown, unknown>, input)
  })
})
