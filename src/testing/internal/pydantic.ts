/**
 * A tiny pydantic-v2 emulation: lax-mode validators over JSON values that
 * collect errors with pydantic's `type`, `loc`, `msg`, `input` and `ctx`, so the
 * 422 bodies of the test server read like the real server's.
 *
 * Only the behaviour the Letta request models rely on is covered.
 */
import type { PyError } from "./errors.js"
import { reprException } from "./pyrepr.js"

export type Loc = ReadonlyArray<string | number>

export type Result<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly errors: ReadonlyArray<PyError> }

export type Validator<A = unknown> = (input: unknown, loc: Loc) => Result<A>

export const ok = <A>(value: A): Result<A> => ({ ok: true, value })
export const fail = (...errors: ReadonlyArray<PyError>): Result<never> => ({ ok: false, errors })

/** A JSON object (marker instances such as raw bytes are not). */
export const isObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/** Pydantic's "'a', 'b' or 'c'" rendering of expected values. */
export const expected = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`

const quoted = (values: ReadonlyArray<string>) => values.map((v) => `'${v}'`)

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

export const str: Validator<string> = (input, loc) =>
  typeof input === "string" ? ok(input) : fail({ type: "string_type", loc, msg: "Input should be a valid string", input })

const truthy = new Set(["1", "on", "t", "true", "y", "yes"])
const falsy = new Set(["0", "off", "f", "false", "n", "no"])

export const bool: Validator<boolean> = (input, loc) => {
  if (typeof input === "boolean") return ok(input)
  if (typeof input === "number") {
    if (input === 1) return ok(true)
    if (input === 0) return ok(false)
    return fail({ type: "bool_parsing", loc, msg: "Input should be a valid boolean, unable to interpret input", input })
  }
  if (typeof input === "string") {
    const lowered = input.toLowerCase()
    if (truthy.has(lowered)) return ok(true)
    if (falsy.has(lowered)) return ok(false)
    return fail({ type: "bool_parsing", loc, msg: "Input should be a valid boolean, unable to interpret input", input })
  }
  return fail({ type: "bool_type", loc, msg: "Input should be a valid boolean", input })
}

export const int: Validator<number> = (input, loc) => {
  if (typeof input === "boolean") return ok(input ? 1 : 0)
  if (typeof input === "number") {
    if (Number.isInteger(input)) return ok(input)
    if (!Number.isFinite(input)) {
      return fail({ type: "finite_number", loc, msg: "Input should be a finite number", input })
    }
    return fail({
      type: "int_from_float",
      loc,
      msg: "Input should be a valid integer, got a number with a fractional part",
      input
    })
  }
  if (typeof input === "string") {
    const trimmed = input.trim()
    // "1_000" and "1.000" are integers to pydantic; "1.5" and "1e3" are not.
    if (/^[+-]?\d+(_\d+)*(\.0+)?$/.test(trimmed)) return ok(Number(trimmed.replace(/_/g, "").replace(/\.0+$/, "")))
    return fail({ type: "int_parsing", loc, msg: "Input should be a valid integer, unable to parse string as an integer", input })
  }
  return fail({ type: "int_type", loc, msg: "Input should be a valid integer", input })
}

export const float: Validator<number> = (input, loc) => {
  if (typeof input === "boolean") return ok(input ? 1 : 0)
  if (typeof input === "number") return ok(input)
  if (typeof input === "string") {
    const trimmed = input.trim().replace(/_/g, "")
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed)
    if (special !== null) {
      return ok(special[2]!.toLowerCase() === "nan" ? Number.NaN : special[1] === "-" ? -Infinity : Infinity)
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return ok(Number(trimmed))
    return fail({ type: "float_parsing", loc, msg: "Input should be a valid number, unable to parse string as a number", input })
  }
  return fail({ type: "float_type", loc, msg: "Input should be a valid number", input })
}

/** An `int` with `ge` / `le` constraints (FastAPI `Query(ge=..., le=...)`). */
export const intRange = (bounds: { readonly ge?: number; readonly le?: number }): Validator<number> => (input, loc) => {
  const r = int(input, loc)
  if (!r.ok) return r
  if (bounds.ge !== undefined && r.value < bounds.ge) {
    return fail({
      type: "greater_than_equal",
      loc,
      msg: `Input should be greater than or equal to ${bounds.ge}`,
      input,
      ctx: { ge: bounds.ge }
    })
  }
  if (bounds.le !== undefined && r.value > bounds.le) {
    return fail({
      type: "less_than_equal",
      loc,
      msg: `Input should be less than or equal to ${bounds.le}`,
      input,
      ctx: { le: bounds.le }
    })
  }
  return r
}

/** `Literal["a", "b"]`; `display` overrides the repr of each value (enum members). */
export const literal = <const T extends string>(
  values: ReadonlyArray<T>,
  display: ReadonlyArray<string> = quoted(values)
): Validator<T> =>
(input, loc) => {
  if (typeof input === "string" && (values as ReadonlyArray<string>).includes(input)) return ok(input as T)
  const exp = expected(display)
  return fail({ type: "literal_error", loc, msg: `Input should be ${exp}`, input, ctx: { expected: exp } })
}

/** A `str` Enum field. */
export const enumeration = <const T extends string>(values: ReadonlyArray<T>): Validator<T> => (input, loc) => {
  if (typeof input === "string" && (values as ReadonlyArray<string>).includes(input)) return ok(input as T)
  const exp = expected(quoted(values))
  return fail({ type: "enum", loc, msg: `Input should be ${exp}`, input, ctx: { expected: exp } })
}

export const dict: Validator<Record<string, unknown>> = (input, loc) =>
  isObject(input) ? ok(input) : fail({ type: "dict_type", loc, msg: "Input should be a valid dictionary", input })

export const any: Validator<unknown> = (input) => ok(input)

// ---------------------------------------------------------------------------
// Combinators
// ---------------------------------------------------------------------------

export const optional = <A>(v: Validator<A>): Validator<A | null> => (input, loc) =>
  input === null ? ok(null) : v(input, loc)

export const list = <A>(item: Validator<A>): Validator<Array<A>> => (input, loc) => {
  if (!Array.isArray(input)) return fail({ type: "list_type", loc, msg: "Input should be a valid list", input })
  const values: Array<A> = []
  const errors: Array<PyError> = []
  input.forEach((element, i) => {
    const r = item(element, [...loc, i])
    if (r.ok) values.push(r.value)
    else errors.push(...r.errors)
  })
  return errors.length > 0 ? fail(...errors) : ok(values)
}

/** A smart (undiscriminated) union: errors of every member, each under the member's label. */
export const union = (members: ReadonlyArray<readonly [label: string, validator: Validator]>): Validator => (
  input,
  loc
) => {
  const errors: Array<PyError> = []
  for (const [label, validator] of members) {
    const r = validator(input, [...loc, label])
    if (r.ok) return r
    errors.push(...r.errors)
  }
  return fail(...errors)
}

/**
 * `Annotated[Union[...], Field(discriminator=...)]`. `display` renders each tag
 * in `expected_tags` (enum-valued tags show as `<Enum.member: 'value'>`).
 */
export const tagged = (
  discriminator: string,
  members: Readonly<Record<string, Validator>>,
  display: (tag: string) => string = (tag) => `'${tag}'`
): Validator =>
(
  input,
  loc
) => {
  const tags = Object.keys(members)
  const tag = isObject(input) ? input[discriminator] : undefined
  if (tag === undefined) {
    return fail({
      type: "union_tag_not_found",
      loc,
      msg: `Unable to extract tag using discriminator '${discriminator}'`,
      input,
      ctx: { discriminator: `'${discriminator}'` }
    })
  }
  const key = typeof tag === "string" ? tag : String(tag)
  const member = Object.prototype.hasOwnProperty.call(members, key) ? members[key] : undefined
  if (member === undefined) {
    const expectedTags = tags.map(display).join(", ")
    return fail({
      type: "union_tag_invalid",
      loc,
      msg: `Input tag '${key}' found using '${discriminator}' does not match any of the expected tags: ${expectedTags}`,
      input,
      ctx: { discriminator: `'${discriminator}'`, tag: key, expected_tags: expectedTags }
    })
  }
  return member(input, [...loc, key])
}

/** A field of a model: `default` absent means required. */
export interface Field {
  readonly validator: Validator
  readonly default?: (() => unknown) | undefined
  /** validation aliases tried in order (pydantic `AliasChoices`) */
  readonly aliases?: ReadonlyArray<string> | undefined
}

export const required = (validator: Validator): Field => ({ validator })
export const withDefault = (validator: Validator, value: unknown): Field => ({ validator, default: () => value })
export const withAliases = (validator: Validator, aliases: ReadonlyArray<string>, value: unknown): Field => ({
  validator,
  default: () => value,
  aliases
})

/**
 * A `BaseModel`: validates declared fields in order, ignores extra keys, then runs
 * the `after` model validator if every field passed. A `ValueError` raised by the
 * validator is reported as pydantic's `value_error` at the model's own `loc`.
 */
export const model = (
  fields: Readonly<Record<string, Field>>,
  after?: (value: Record<string, unknown>, input: Record<string, unknown>) => string | undefined
): Validator<Record<string, unknown>> =>
(input, loc) => {
  if (!isObject(input)) {
    return fail({
      type: "model_attributes_type",
      loc,
      msg: "Input should be a valid dictionary or object to extract fields from",
      input
    })
  }
  const value: Record<string, unknown> = {}
  const errors: Array<PyError> = []
  for (const [name, field] of Object.entries(fields)) {
    const keys = field.aliases ?? [name]
    const key = keys.find((k) => Object.prototype.hasOwnProperty.call(input, k))
    if (key === undefined) {
      if (field.default === undefined) {
        errors.push({ type: "missing", loc: [...loc, keys[0]!], msg: "Field required", input })
      } else {
        value[name] = field.default()
      }
      continue
    }
    const r = field.validator(input[key], [...loc, key])
    if (r.ok) value[name] = r.value
    else errors.push(...r.errors)
  }
  if (errors.length > 0) return fail(...errors)
  if (after !== undefined) {
    const message = after(value, input)
    if (message !== undefined) {
      return fail({
        type: "value_error",
        loc,
        msg: `Value error, ${message}`,
        input,
        ctx: { error: reprException("ValueError", message) }
      })
    }
  }
  return ok(value)
}

/** A field validator that raises `ValueError(message)` (pydantic `value_error`). */
export const refine = <A>(v: Validator<A>, check: (a: A) => string | undefined): Validator<A> => (input, loc) => {
  const r = v(input, loc)
  if (!r.ok) return r
  const message = check(r.value)
  if (message === undefined) return r
  return fail({
    type: "value_error",
    loc,
    msg: `Value error, ${message}`,
    input,
    ctx: { error: reprException("ValueError", message) }
  })
}
