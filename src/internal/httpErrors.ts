/**
 * Turns a non-2xx response into the matching `LettaError`: the single place where a response
 * becomes an error — status codes, the retry hints in headers, and the body kept as it came
 * (`detail`, the `error` envelope, or an excerpt). An error's `message` later picks the most
 * useful sentence out of those fields (`LettaError.ts`), which is presentation only.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Option, Stream } from "effect"
import * as LettaError from "../LettaError.js"
import { maxExcerptChars } from "./text.js"

/** Error bodies are read up to this size; the rest is never downloaded. */
export const maxErrorBodyBytes = 64 * 1024

/** Reads at most `maxBytes` of a body, stopping (and so aborting the download) beyond it. */
export const readBounded = <E>(
  body: Stream.Stream<Uint8Array, E>,
  maxBytes: number
): Effect.Effect<{ readonly bytes: Uint8Array; readonly truncated: boolean }, E> =>
  Stream.runFoldWhile(
    body,
    { chunks: [] as Array<Uint8Array>, size: 0, truncated: false },
    (state) => !state.truncated,
    (state, chunk) => {
      const room = maxBytes - state.size
      if (chunk.length > room) {
        state.chunks.push(chunk.subarray(0, room))
        state.size = maxBytes
        state.truncated = true
      } else {
        state.chunks.push(chunk)
        state.size += chunk.length
      }
      return state
    }
  ).pipe(Effect.map((state) => ({ bytes: concat(state.chunks, state.size), truncated: state.truncated })))

/**
 * As {@link readBounded}, for error bodies: a body cut off part-way (a dropped connection, a
 * proxy giving up) keeps what arrived, marked `truncated`, since the start of an error page
 * still says what went wrong.
 */
export const readExcerpt = <E>(
  body: Stream.Stream<Uint8Array, E>,
  maxBytes: number
): Effect.Effect<{ readonly bytes: Uint8Array; readonly truncated: boolean }> =>
  Effect.suspend(() => {
    let cut = false
    const upToFailure = Stream.catchAll(body, () => {
      cut = true
      return Stream.empty
    })
    return Effect.map(readBounded(upToFailure, maxBytes), ({ bytes, truncated }) => ({ bytes, truncated: truncated || cut }))
  })

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const requestIdHeaders = ["x-request-id", "request-id", "x-api-request-log-id", "cf-ray"] as const

const requestIdOf = (headers: Readonly<Record<string, string | undefined>>): string | undefined => {
  for (const name of requestIdHeaders) {
    const value = headers[name]
    if (value !== undefined && value !== "") return value.slice(0, 200)
  }
  return undefined
}

/**
 * `retry-after-ms` (milliseconds), else `Retry-After` as seconds or as an HTTP date relative
 * to `now` (a date in the past means now). Negative or unparsable values are ignored.
 */
export const retryAfterOf = (
  headers: Readonly<Record<string, string | undefined>>,
  now: number
): Duration.Duration | undefined => {
  const millis = headers["retry-after-ms"]
  if (millis !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(millis)) return Duration.millis(Number(millis))
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Duration.seconds(Number(value))
  // Every HTTP-date form starts with the day's name. Without that check `Date.parse` would
  // read "-1" as the year 2001, a negative wait as "retry now". The asctime form has no
  // zone and means GMT; `Date.parse` would take local time.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined
  const date = Date.parse(/GMT|UTC/.test(value) ? value : `${value} GMT`)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

type Json = null | boolean | number | string | ReadonlyArray<unknown> | { readonly [key: string]: unknown }

/**
 * Error bodies nested deeper than this are kept as text only. Real ones nest a few levels;
 * a hostile `[[[[…]]]]` kept as `body` or `detail` would make the error itself impossible to
 * print or serialize (`JSON.stringify` and `inspect`-like printers recurse).
 */
const maxKeptDepth = 64

/** Whether a parsed JSON value nests no deeper than `max`; iterative, as the value may be deep. */
const nestsWithin = (value: unknown, max: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null) continue
    if (depth > max) return false
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return true
}

const parseJson = (text: string): Option.Option<Json> => {
  try {
    return Option.some(JSON.parse(text) as Json)
  } catch {
    return Option.none()
  }
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const stringField = (record: Readonly<Record<string, unknown>>, key: string): string | undefined =>
  typeof record[key] === "string" ? record[key] as string : undefined

/** What a 409 is about; the server sends no machine code, only text (PROTOCOL.md §6). */
const conflictOf = (detail: unknown, body: unknown): {
  readonly reason: LettaError.ConflictReason
  readonly runId?: string
  readonly pendingRequestId?: string
} => {
  const detailRecord = isRecord(detail) ? detail : undefined
  const text = [
    typeof detail === "string" ? detail : undefined,
    detailRecord && stringField(detailRecord, "message"),
    detailRecord && stringField(detailRecord, "code"),
    isRecord(body) && typeof body.error === "string" ? body.error : undefined,
    isRecord(body) && isRecord(body.error) ? stringField(body.error, "message") ?? stringField(body.error, "detail") : undefined
  ].filter((part): part is string => part !== undefined).join(" ")
  const runId = (isRecord(body) ? stringField(body, "run_id") : undefined) ?? /run_id=(run-[\w-]+)/.exec(text)?.[1]
  const pendingRequestId = detailRecord && stringField(detailRecord, "pending_request_id")
  const reason: LettaError.ConflictReason = /PENDING_APPROVAL|waiting for approval/i.test(text)
    ? "pending_approval"
    : /is currently being processed|busy with another active run|CONVERSATION_BUSY/i.test(text)
    ? "conversation_busy"
    : /no active runs to cancel/i.test(text)
    ? "no_active_runs"
    : "other"
  return {
    reason,
    ...(runId === undefined ? {} : { runId }),
    ...(pendingRequestId === undefined ? {} : { pendingRequestId })
  }
}

/**
 * A server without Redis answers `background: true` and the stream-resume endpoints with
 * this 503 (PROTOCOL.md §2); a user falls back to a foreground stream on it, not a retry.
 */
const serverErrorReason = (status: number, detail: unknown): LettaError.ServerErrorReason =>
  status === 503 && typeof detail === "string" && /requires Redis/i.test(detail) ? "no_stream_storage" : "other"

/** A URL fit for an error message: no credentials, query kept (it holds only list filters). */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    // A request whose time ran out before the client prepended the base URL (a request that
    // never got headers) is still a path, and the path says which endpoint it was.
    return url.startsWith("/") ? url : "<invalid url>"
  }
}

/** Reads a bounded excerpt of the body and builds the error for the response's status. */
export const fromResponse = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<LettaError.HttpError> =>
  Effect.gen(function*() {
    const body = yield* readExcerpt(response.stream, maxErrorBodyBytes).pipe(
      Effect.map(({ bytes, truncated }) => ({ text: new TextDecoder().decode(bytes), truncated }))
    )
    const json = body.truncated
      ? Option.none()
      : Option.filter(parseJson(body.text), (value) => nestsWithin(value, maxKeptDepth))
    const record = Option.getOrUndefined(Option.filter(json, isRecord))
    const envelope = record !== undefined && isRecord(record.error)
      ? new LettaError.ErrorEnvelope({
        ...(typeof record.error.type === "string" ? { type: record.error.type } : {}),
        ...(typeof record.error.message === "string" ? { message: record.error.message } : {}),
        ...(record.error.detail !== undefined ? { detail: record.error.detail } : {})
      })
      : undefined
    const now = yield* Clock.currentTimeMillis
    const requestId = requestIdOf(response.headers)
    const retryAfter = retryAfterOf(response.headers, now)
    const fields = {
      status: response.status,
      method: response.request.method,
      url: describeUrl(response.request.url),
      ...(record?.detail !== undefined ? { detail: record.detail } : {}),
      ...(envelope === undefined ? {} : { error: envelope }),
      ...(Option.isSome(json) ? { body: json.value } : {}),
      ...(Option.isNone(json) && body.text !== "" ? { bodyExcerpt: body.text.slice(0, maxExcerptChars) } : {}),
      ...(requestId === undefined ? {} : { requestId }),
      ...(retryAfter === undefined ? {} : { retryAfter })
    }
    switch (response.status) {
      case 400:
        return new LettaError.BadRequestError(fields)
      case 401:
        return new LettaError.AuthenticationError(fields)
      case 402:
        return new LettaError.PaymentRequiredError(fields)
      case 403:
        return new LettaError.PermissionDeniedError(fields)
      case 404:
        return new LettaError.NotFoundError(fields)
      case 409:
        return new LettaError.ConflictError({ ...fields, ...conflictOf(record?.detail, record) })
      case 410:
        return new LettaError.GoneError(fields)
      case 422:
        return new LettaError.UnprocessableEntityError(fields)
      case 429:
        return new LettaError.RateLimitError(fields)
      default:
        return response.status >= 500 && response.status <= 599
          ? new LettaError.ServerError({ ...fields, reason: serverErrorReason(response.status, record?.detail) })
          : new LettaError.UnexpectedStatusError(fields)
    }
  })
