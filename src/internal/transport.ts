/**
 * The one boundary between the HTTP client and the library's typed world: a request goes
 * out, and whatever comes back (a typed value, a status error, a dropped connection, a body
 * that does not decode) leaves as a value or as a `LettaError`. Endpoint modules describe
 * requests; they never touch status codes or raw bodies.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { type Duration, Effect, Either, ParseResult, Schema, type Scope } from "effect"
import * as LettaError from "../LettaError.js"
import * as Retry from "../Retry.js"
import type * as Streaming from "../Streaming.js"
import { decodeUnknownEitherSafe, makeDecoder } from "./fastDecode.js"
import { describeUrl, fromResponse, readBounded } from "./httpErrors.js"
import { type PathTemplate, render } from "./path.js"
import * as RetryPolicy from "./retry.js"
import { clip, maxDescriptionChars } from "./text.js"

/** A query value; arrays become repeated keys (`a=1&a=2`), which is what FastAPI reads. */
export type QueryValue = string | number | boolean | ReadonlyArray<string | number | boolean> | undefined

/** Everything an endpoint says about one JSON request. */
export interface JsonRequest<A, I> {
  /** The public operation, named in errors (e.g. `Messages.create`). */
  readonly operation: string
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  readonly path: PathTemplate
  /** Query parameters; `undefined` values are left out. */
  readonly query?: object | undefined
  /** An already-encoded JSON value; `undefined` sends no body. */
  readonly body?: unknown
  /** The `Accept` header (default `application/json`). */
  readonly accept?: string | undefined
  /**
   * Whether sending the request twice does no more than sending it once, so that it may be
   * retried after any transient failure. Defaults to true for GET and DELETE and false
   * otherwise: a request that is not idempotent is only retried when it never left.
   */
  readonly idempotent?: boolean | undefined
  readonly response: Schema.Schema<A, I>
}

/** The shaped client plus the request runner every endpoint uses. */
export interface Transport {
  /** The client's default stream time limits. */
  readonly streamTimeouts: Streaming.Timeouts | undefined
  /** Builds and validates a request without sending it. */
  readonly buildRequest: <A, I>(
    request: Omit<JsonRequest<A, I>, "response">
  ) => Effect.Effect<HttpClientRequest.HttpClientRequest, LettaError.InvalidRequestError>
  /** Sends a request and decodes its JSON response. */
  readonly json: <A, I>(request: JsonRequest<A, I>) => Effect.Effect<A, LettaError.LettaError>
  /**
   * Sends a request and returns the response once its status is 2xx, with the request tied
   * to the `Scope` provided: closing it aborts the request and its body, from any fiber (how
   * a stream's time limits stop it).
   */
  readonly executeScoped: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, LettaError.LettaError, Scope.Scope>
  /**
   * Runs `attempt` again after the failures the current retry policy allows: any transient
   * one when `idempotent`, else only those where the request never left (see `Retry`).
   * `afterFailure` wraps the waits and attempts after the first retryable failure.
   */
  readonly retrying: <A, R>(
    attempt: Effect.Effect<A, LettaError.LettaError, R>,
    options: {
      readonly operation: string
      readonly idempotent: boolean
      readonly afterFailure?: <R2>(
        retries: Effect.Effect<A, LettaError.LettaError, R2>
      ) => Effect.Effect<A, LettaError.LettaError, R2>
    }
  ) => Effect.Effect<A, LettaError.LettaError, R>
}

/** GET and DELETE are idempotent by definition; anything else must say so. */
export const idempotentByMethod = (method: string): boolean => method === "GET" || method === "DELETE"

/** The default bound on a JSON success body: larger ones are refused rather than buffered. */
export const defaultMaxResponseBytes = 64 * 1024 * 1024

/** A readable account of why a value did not match its schema, bounded in size. */
export const describeParseError = (error: ParseResult.ParseError): string => {
  try {
    return clip(ParseResult.TreeFormatter.formatErrorSync(error), maxDescriptionChars)
  } catch {
    // The formatter prints the offending value by recursing through it: one nested deeply
    // enough (a hostile server's `[[[[…]]]]`) overflows the stack, which must stay a typed
    // DecodeError rather than become a defect.
    return "the value does not match the expected type (it is too deeply nested to describe)"
  }
}

const toUrlParams = (query: object): Array<[string, string]> => {
  const params: Array<[string, string]> = []
  for (const [key, value] of Object.entries(query) as Array<[string, QueryValue]>) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) params.push([key, String(item)])
    } else {
      params.push([key, String(value)])
    }
  }
  return params
}

/**
 * The messages of an error and its causes, e.g. `fetch failed: connect ECONNREFUSED …`.
 * Network errors carry no request headers, so nothing secret is copied.
 */
const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current)
    const code = (current as { readonly code?: unknown }).code
    parts.push(typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message)
    current = (current as { readonly cause?: unknown }).cause
  }
  return clip(parts.join(": "), maxDescriptionChars)
}

/**
 * Whether a client failure happened while connecting, so the request was never written: a
 * Node system error from `connect` (refused, unreachable, timed out) or `getaddrinfo` (the
 * name did not resolve), or undici's connect timeout, anywhere in the cause chain (fetch
 * wraps it in a `TypeError`). Several addresses tried in turn fail together as an
 * `AggregateError`, which counts only if each of them does. Anything else, a reset or a
 * socket closed by the server included, may come after the request was sent.
 */
export const failedToConnect = (cause: unknown): boolean => {
  let current: unknown = cause
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const { code, syscall, errors } = current as { code?: unknown; syscall?: unknown; errors?: unknown }
    if (syscall === "connect" || syscall === "getaddrinfo" || code === "UND_ERR_CONNECT_TIMEOUT") return true
    if (Array.isArray(errors) && errors.length > 0) return errors.every(failedToConnect)
    current = (current as { readonly cause?: unknown }).cause
  }
  return false
}

/** Maps a failure of the underlying client; a status error a custom client raised is read like any other. */
const fromClientError = (
  error: HttpClientError.HttpClientError
): Effect.Effect<never, LettaError.LettaError> => {
  const method = error.request.method
  const url = describeUrl(error.request.url)
  if (error._tag === "ResponseError") {
    return error.reason === "StatusCode"
      ? Effect.flatMap(fromResponse(error.response), Effect.fail)
      : Effect.fail(new LettaError.TransportError({ method, url, phase: "response", description: error.message }))
  }
  return error.reason === "Transport"
    ? Effect.fail(
      new LettaError.TransportError({
        method,
        url,
        phase: failedToConnect(error.cause) ? "connect" : "request",
        description: describeCause(error.cause ?? error.message)
      })
    )
    : Effect.fail(
      new LettaError.InvalidRequestError({ operation: `${method} ${url}`, description: error.message })
    )
}

const decodeJsonBody = <A, I>(
  response: HttpClientResponse.HttpClientResponse,
  schema: Schema.Schema<A, I>,
  maxResponseBytes: number
): Effect.Effect<A, LettaError.LettaError> => {
  const method = response.request.method
  const url = describeUrl(response.request.url)
  return readBounded(response.stream, maxResponseBytes).pipe(
    Effect.mapError((error) => new LettaError.TransportError({ method, url, phase: "response", description: error.message })),
    Effect.flatMap(({ bytes, truncated }) => {
      const text = new TextDecoder().decode(bytes)
      const fail = (description: string) =>
        Effect.fail(new LettaError.DecodeError({ method, url, description, excerpt: clip(text) }))
      if (truncated) return fail(`the response body is larger than ${maxResponseBytes} bytes`)
      let json: unknown
      try {
        // An empty body (a 204, say) reads as `null`: fine where nothing is expected, a clear
        // decode error where something is.
        json = text.trim() === "" ? null : JSON.parse(text)
      } catch (error) {
        return fail(`the response body is not JSON (${String(error)})`)
      }
      const decoded = makeDecoder(schema)(json)
      return Either.isRight(decoded) ? Effect.succeed(decoded.right) : fail(describeParseError(decoded.left))
    })
  )
}

/** How the transport behaves. */
export interface TransportOptions {
  /** The longest a JSON request may take, from sending it to its decoded body. */
  readonly timeout: Duration.Duration
  /** The default stream time limits. */
  readonly streamTimeouts: Streaming.Timeouts | undefined
  /** The client's retry policy, which a call's `Retry.withPolicy` refines. */
  readonly retry: RetryPolicy.Resolved
  /** The largest JSON success body read, in bytes. */
  readonly maxResponseBytes: number
}

/** @internal */
export const make = (httpClient: HttpClient.HttpClient, options: TransportOptions): Transport => {
  const buildRequest = <A, I>(request: Omit<JsonRequest<A, I>, "response">) =>
    Either.match(render(request.path), {
      onLeft: (description) => Effect.fail(new LettaError.InvalidRequestError({ operation: request.operation, description })),
      onRight: (path) => {
        let out = HttpClientRequest.make(request.method)(path).pipe(
          HttpClientRequest.accept(request.accept ?? "application/json")
        )
        if (request.query !== undefined) out = HttpClientRequest.setUrlParams(out, toUrlParams(request.query))
        return request.body === undefined ? Effect.succeed(out) : HttpClientRequest.bodyJson(out, request.body).pipe(
          // Open JSON fields accept any value; one JSON cannot hold (a BigInt, a cycle) is the
          // caller's error, not a crash.
          Effect.mapError((error) =>
            new LettaError.InvalidRequestError({
              operation: request.operation,
              description: `the body cannot be sent as JSON: ${describeCause(error.reason.error)}`
            })
          )
        )
      }
    })

  const checked = <R>(response: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError, R>) =>
    response.pipe(
      Effect.catchAll(fromClientError),
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300
          ? Effect.succeed(response)
          : Effect.flatMap(fromResponse(response), Effect.fail)
      )
    )
  const execute = (request: HttpClientRequest.HttpClientRequest) => checked(httpClient.execute(request))
  const scopedClient = HttpClient.withScope(httpClient)
  const executeScoped = (request: HttpClientRequest.HttpClientRequest) => checked(scopedClient.execute(request))

  const retrying: Transport["retrying"] = (attempt, { afterFailure, idempotent, operation }) =>
    Effect.flatMap(Retry.CurrentPolicy, (override) =>
      Either.match(RetryPolicy.resolve(override, options.retry), {
        onLeft: (description) =>
          Effect.fail(new LettaError.InvalidRequestError({ operation, description: `retry policy: ${description}` })),
        onRight: (policy) =>
          policy.maxAttempts === 1
            ? attempt
            : RetryPolicy.retryLazily(
              attempt,
              policy,
              idempotent ? RetryPolicy.isTransient : RetryPolicy.neverSent,
              afterFailure
            )
      }))

  const json = <A, I>(request: JsonRequest<A, I>) =>
    Effect.flatMap(buildRequest(request), (built) =>
      retrying(
        execute(built).pipe(
          Effect.flatMap((response) => decodeJsonBody(response, request.response, options.maxResponseBytes)),
          // Each attempt has the whole limit. Interrupting the request aborts it and closes
          // its connection.
          Effect.timeoutFail({
            duration: options.timeout,
            onTimeout: () =>
              new LettaError.TimeoutError({
                method: built.method,
                url: describeUrl(built.url),
                limit: "total",
                timeout: options.timeout
              })
          })
        ),
        { operation: request.operation, idempotent: request.idempotent ?? idempotentByMethod(request.method) }
      ))

  return { streamTimeouts: options.streamTimeouts, buildRequest, json, executeScoped, retrying }
}

/**
 * Validates a caller's input against its schema (filling in discriminators), then encodes
 * it for the wire. Invalid input fails before anything is sent.
 */
export const encodeInput = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I>,
  input: unknown
): Effect.Effect<I, LettaError.InvalidRequestError> =>
  // Unknown fields are errors here: a misspelt option must not vanish silently. Decoded
  // without throwing, whatever the caller passed (see `decodeUnknownEitherSafe`).
  Effect.suspend(() => decodeUnknownEitherSafe(schema, { errors: "all", onExcessProperty: "error" })(input)).pipe(
    Effect.flatMap(Schema.encode(schema)),
    Effect.mapError((error) => new LettaError.InvalidRequestError({ operation, description: describeParseError(error) }))
  )
