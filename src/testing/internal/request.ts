/**
 * Request decoding in FastAPI's order: the JSON body is parsed first, then the
 * `get_headers` dependency runs, then path, query and body parameters are
 * validated together and reported in one 422.
 */
import { Effect } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import * as Errors from "./errors.js"
import type { PyError } from "./errors.js"
import * as Ids from "./ids.js"
import * as P from "./pydantic.js"
import * as PyJson from "./pyjson.js"
import { PyRaw, reprBytes } from "./pyrepr.js"

export interface Request {
  readonly method: string
  /** the request target's path exactly as received */
  readonly rawPath: string
  /** percent-decoded path, what routes match against */
  readonly path: string
  readonly rawQuery: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Uint8Array
}

export const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(", ") : value
}

/** `urllib.parse.unquote`: invalid escapes stay literal, invalid UTF-8 becomes U+FFFD. */
export const unquote = (raw: string): string => {
  if (!raw.includes("%")) return raw
  const bytes: Array<number> = []
  const encoder = new TextEncoder()
  for (let i = 0; i < raw.length;) {
    if (raw[i] === "%" && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16))
      i += 3
    } else {
      const cp = raw.codePointAt(i)!
      const ch = String.fromCodePoint(cp)
      bytes.push(...encoder.encode(ch))
      i += ch.length
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes))
}

// ---------------------------------------------------------------------------
// Body
// ---------------------------------------------------------------------------

/** `undefined` = no body (FastAPI's `None`); otherwise the decoded JSON or, for non-JSON media types, the raw bytes. */
export type Body = { readonly present: false } | { readonly present: true; readonly value: unknown }

const isJsonMediaType = (contentType: string | undefined) => {
  if (contentType === undefined || contentType.trim() === "") return true
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase()
  const [main, sub] = mediaType.split("/")
  return main === "application" && sub !== undefined && (sub === "json" || sub.endsWith("+json"))
}

export const readBody = (req: Request): Effect.Effect<Body, Errors.HttpError> => {
  if (req.body.length === 0) return Effect.succeed({ present: false })
  if (!isJsonMediaType(header(req, "content-type"))) {
    // FastAPI hands the bytes to pydantic, which then rejects them as not a dict.
    return Effect.succeed({ present: true, value: new PyRaw(reprBytes(req.body)) })
  }
  const text = PyJson.decodeUtf8(req.body)
  if (text === undefined) return Effect.fail(Errors.unparseableBody())
  const parsed = PyJson.parse(text)
  switch (parsed._tag) {
    case "Ok":
      return Effect.succeed(parsed.value === null ? { present: false } : { present: true, value: parsed.value })
    case "TooDeep":
      return Effect.fail(Errors.unparseableBody())
    case "Error":
      return Effect.fail(Errors.validation([{
        type: "json_invalid",
        loc: ["body", parsed.pos],
        msg: "JSON decode error",
        input: {},
        ctx: { error: parsed.msg }
      }]))
  }
}

/** A required `Body(...)` parameter: absent or `null` is pydantic's `missing`. */
export const requiredBody = <A>(body: Body, validate: (u: unknown) => P.Result<A>): P.Result<A> =>
  body.present ? validate(body.value) : P.fail({ type: "missing", loc: ["body"], msg: "Field required", input: null })

/** An optional `Body(None)` parameter. */
export const optionalBody = <A>(body: Body, validate: (u: unknown) => P.Result<A>): P.Result<A | null> =>
  body.present ? validate(body.value) : P.ok(null)

// ---------------------------------------------------------------------------
// Headers (the `get_headers` dependency)
// ---------------------------------------------------------------------------

export const checkHeaders = (req: Request): Effect.Effect<void, Errors.HttpError> => {
  const userId = header(req, "user_id")
  if (userId !== undefined && !Ids.isValid("user", userId)) {
    return Effect.fail(
      Errors.detail(400, `INVALID_ARGUMENT: Invalid user ID format: ${userId}. Expected format: 'user-<uuid4>'`)
    )
  }
  return Effect.void
}

/** `letta.utils.is_1_0_sdk_version` */
export const isSdkV1 = (req: Request): boolean => {
  if (header(req, "x-stainless-package-version")) return true
  const client = header(req, "user-agent")
  if (!client) return true
  if (!client.includes("/")) return false
  const parts = client.split("/")
  if (parts.length === 3) {
    if (parts[0] !== "@letta-ai" || parts[1] !== "letta-client") return false
  } else if (parts.length === 2) {
    if (parts[0] !== "letta-client") return false
  } else {
    return false
  }
  const maybeVersion = parts[parts.length - 1]!
  if (!maybeVersion.includes(".")) return false
  const versionBase = maybeVersion.split("-")[0]!.split("a")[0]!.split("b")[0]!
  if (!versionBase.includes(".")) return false
  return versionBase.split(".")[0] === "1"
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/** Collects the errors of all parameters so they are reported together, like FastAPI does. */
export class Params {
  readonly errors: Array<PyError> = []

  constructor(readonly req: Request, readonly pathParams: Readonly<Record<string, string>>) {}

  /** A path id declared with the server's `Path(pattern=..., min_length=..., max_length=...)` validator. */
  pathId(name: string, prefix: string): string {
    const value = this.pathParams[name] ?? ""
    const error = Errors.pathIdError(name, prefix, value)
    if (error !== undefined) this.errors.push(error)
    return value
  }

  /** A path parameter with its own pattern and length limits. */
  pathMatching(
    name: string,
    constraints: { readonly pattern: string; readonly minLength: number; readonly maxLength: number }
  ): string {
    const value = this.pathParams[name] ?? ""
    const error = Errors.pathStringError(name, value, constraints)
    if (error !== undefined) this.errors.push(error)
    return value
  }

  /** A plain `str` path parameter. */
  path(name: string): string {
    return this.pathParams[name] ?? ""
  }

  /** A scalar query parameter: the last occurrence wins, as in Starlette. */
  query<A>(name: string, validator: P.Validator<A>, fallback: A): A {
    const values = this.req.query.getAll(name)
    if (values.length === 0) return fallback
    const r = validator(values[values.length - 1], ["query", name])
    if (r.ok) return r.value
    this.errors.push(...r.errors)
    return fallback
  }

  /** A required scalar query parameter (`Query(...)`). */
  queryRequired<A>(name: string, validator: P.Validator<A>, fallback: A): A {
    if (this.req.query.getAll(name).length === 0) {
      this.errors.push({ type: "missing", loc: ["query", name], msg: "Field required", input: null })
      return fallback
    }
    return this.query(name, validator, fallback)
  }

  /** A list query parameter given as repeated keys. */
  queryList<A>(name: string, validator: P.Validator<A>): Array<A> | null {
    const values = this.req.query.getAll(name)
    if (values.length === 0) return null
    const r = P.list(validator)(values, ["query", name])
    if (r.ok) return r.value
    this.errors.push(...r.errors)
    return null
  }

  body<A>(result: P.Result<A>, fallback: A): A {
    if (result.ok) return result.value
    this.errors.push(...result.errors)
    return fallback
  }

  /** Fails with the collected 422, if any. */
  get done(): Effect.Effect<void, Errors.HttpError> {
    return this.errors.length > 0 ? Effect.fail(Errors.validation(this.errors)) : Effect.void
  }
}
