/**
 * Field builders shared by the schema modules. They encode the three wire conventions of the
 * Letta server once, so each schema reads like the OpenAPI component it mirrors:
 *
 * - optional fields may arrive as an explicit `null` (pydantic dumps every unset field as null);
 * - a union member's discriminator is filled in when the caller leaves it out, and always
 *   written when encoding (the server rejects approvals and tool returns without it);
 * - dates arrive with `+00:00`, with `Z`, or naive (meaning UTC).
 */
import { type Brand, DateTime, ParseResult, Schema } from "effect"
import { FastDecodeAnnotationId, NoMatch } from "./fastDecode.js"

/** An optional field that also accepts `null`, as pydantic writes unset optionals. */
export const nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * A union member's literal discriminator: optional on the wire (the spec and the server's
 * inference allow leaving it out), always present once decoded, so it is always encoded.
 */
export const tag = <const L extends string>(literal: L) =>
  Schema.optionalWith(Schema.Literal(literal), { default: () => literal })

/** Like {@link tag}, for discriminators the spec declares nullable (`MessageCreate.type`). */
export const nullableTag = <const L extends string>(literal: L) =>
  Schema.optionalWith(Schema.Literal(literal), { default: () => literal, nullable: true })

/**
 * A value of a response enum that this client does not know yet. It stays a string, so a
 * newer server's stop reason or status never fails a response that has already done its
 * work (a non-streaming send that failed to decode would look failed, and be retried).
 */
export type Unrecognized = string & Brand.Brand<"effect-letta/Unrecognized">

/**
 * A response enum open to values newer than this client: the known literals keep their
 * types (and autocompletion); anything else decodes as an {@link Unrecognized} string.
 */
export const openLiteral = <Literals extends readonly [string, ...Array<string>]>(literals: Schema.Literal<Literals>) =>
  Schema.Union(literals, Schema.String.pipe(Schema.brand("effect-letta/Unrecognized")))

/** An optional field with the server's default filled in on decode (responses only). */
export const withDefault = <S extends Schema.Schema.AnyNoContext>(schema: S, value: Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: () => value })

/**
 * Any JSON value. Generated test values stay JSON-safe so that round-trip tests can go
 * through `JSON.stringify` like the real wire does.
 */
export const JsonValue: Schema.Schema<unknown> = Schema.Unknown.annotations({
  identifier: "JsonValue",
  arbitrary: () => (fc) => fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)))
})

/**
 * A key of an open JSON object. Generated keys skip `__proto__`, which `JSON.parse` makes an
 * own property but plain object assignment does not, so it cannot round-trip.
 */
export const ObjectKey = Schema.String.annotations({
  arbitrary: () => (fc) => fc.string().filter((key) => key !== "__proto__")
})

/** The other fields of an open object, kept as received. */
export const OtherFields = Schema.Record({ key: ObjectKey, value: JsonValue })

/** A JSON object with arbitrary keys (`additionalProperties: true` in the spec). */
export const JsonObject = Schema.Record({ key: ObjectKey, value: JsonValue }).annotations({
  identifier: "JsonObject"
})

/** Finite numbers only: JSON cannot carry NaN or the infinities. */
export const Finite = Schema.Number.pipe(Schema.finite()).annotations({
  arbitrary: () => (fc) => fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n))
})

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[zZ]|[+-]\d{2}(?::?\d{2})?)?$/
const hasOffset = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/

// A stream's messages mostly carry the same second-precision date, so the last one parsed
// is kept (a DateTime is an immutable value, safe to share).
let lastInput: string | undefined
let lastDate: DateTime.Utc | undefined

/** The instant a Letta timestamp names, or undefined if it is not one. */
const parseLettaDate = (input: string): DateTime.Utc | undefined => {
  if (input === lastInput) return lastDate
  // `Date.parse` reads a naive timestamp as local time; the server means UTC.
  const millis = isoDate.test(input) ? Date.parse(hasOffset.test(input) ? input : `${input}Z`) : Number.NaN
  if (Number.isNaN(millis)) return undefined
  lastDate = DateTime.unsafeMake(millis)
  lastInput = input
  return lastDate
}

/**
 * A timestamp as the Letta server writes it. `date` fields carry `+00:00` and second
 * precision; `Run.created_at` carries `Z` and microseconds; `Run.completed_at` (and the
 * callback's `completed_at`) is naive, which the server means as UTC. Decodes to
 * `DateTime.Utc`; encodes as ISO-8601 with `Z`.
 */
export const LettaDate: Schema.Schema<DateTime.Utc, string> = Schema.transformOrFail(
  Schema.String,
  Schema.DateTimeUtcFromSelf,
  {
    strict: true,
    decode: (input, _, ast) => {
      const date = parseLettaDate(input)
      return date === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, input, `Expected an ISO-8601 date-time, got ${JSON.stringify(input)}`))
        : ParseResult.succeed(date)
    },
    encode: (dateTime) => ParseResult.succeed(DateTime.formatIso(dateTime))
  }
).annotations({
  identifier: "LettaDate",
  arbitrary: () => (fc) =>
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((millis) => DateTime.unsafeMake(millis)),
  // The same decoding as above, without the `Either`s: it runs for every streamed message.
  [FastDecodeAnnotationId]: (input: unknown) =>
    (typeof input === "string" ? parseLettaDate(input) : undefined) ?? NoMatch
})
