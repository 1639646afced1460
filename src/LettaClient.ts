/**
 * The Letta client service. Provide it with `LettaClient.layer(options)` or
 * `LettaClient.layerConfig()` (reads `LETTA_API_KEY`, `LETTA_BASE_URL`, `LETTA_PROJECT_ID`
 * and `LETTA_CUSTOM_HEADERS`), on top of any `HttpClient` layer your app already uses
 * (`NodeHttpClient`, `FetchHttpClient`, …); the library never picks one itself.
 *
 * Its shape mirrors the REST resources, like the official SDK:
 * `client.agents.messages.create(...)`, `client.runs.retrieve(...)`.
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Config, ConfigError, Context, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import * as Agents from "./Agents.js"
import * as Conversations from "./Conversations.js"
import * as RetryPolicy from "./internal/retry.js"
import * as Transport from "./internal/transport.js"
import { version } from "./internal/version.js"
import type * as Retry from "./Retry.js"
import * as Runs from "./Runs.js"
import type * as Streaming from "./Streaming.js"

/**
 * The client's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Agents and their messages. */
  readonly agents: Agents.AgentsApi
  /** Runs, their messages, steps and usage. */
  readonly runs: Runs.RunsApi
  /** Conversations and their messages. */
  readonly conversations: Conversations.ConversationsApi
}

/**
 * The Letta client.
 *
 * @since 0.1.0
 * @category tags
 */
export class LettaClient extends Context.Tag("effect-letta/LettaClient")<LettaClient, Service>() {}

/**
 * Letta Cloud.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://api.letta.com"

/**
 * What `layer` takes: where the API is, how to authenticate, and the client-wide limits.
 *
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Where the Letta API lives. Defaults to Letta Cloud. Must be `http(s)://`. */
  readonly baseUrl?: string | undefined
  /** The API key, sent as `Authorization: Bearer …`. Self-hosted servers may need none. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** Sent as `X-Project-Id`. */
  readonly projectId?: string | undefined
  /**
   * Extra headers for every request. Give secret values as `Redacted`: they are sent as
   * usual but masked in spans and logs.
   */
  readonly headers?: Readonly<Record<string, string | Redacted.Redacted>> | undefined
  /** Transforms the `HttpClient` the library uses (tracing, proxies, …). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * The longest a request may take, from sending it to its decoded response, before it is
   * abandoned with a `TimeoutError` (which is not retried). Non-streaming agent turns can
   * take minutes, so the default is 10 minutes. Each attempt of a retried request has the
   * whole limit.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /** Default time limits for streams (see `Streaming.defaultTimeouts`); a call can override them. */
  readonly streamTimeouts?: Streaming.Timeouts | undefined
  /**
   * How failed requests are retried: fields over `Retry.defaults` (3 attempts, 500 ms
   * backoff doubling up to 8 s, `Retry-After` honoured up to 60 s), or `false` for no
   * retries. Reads and idempotent requests are retried after transient failures; sends only
   * when they never left the client, or when the server deduplicates them (see `Retry`).
   * `Retry.withPolicy` changes it for part of a program.
   */
  readonly retry?: Retry.Policy | false | undefined
  /**
   * The largest JSON response body read, in bytes (default 64 MiB, {@link defaultMaxResponseSize}).
   * A larger one fails with a `DecodeError` once the bound is passed, and the rest is never
   * downloaded, so a broken or hostile server cannot make the client buffer without bound.
   * (Streams have `maxEventSize` per event instead; error bodies are read up to 64 KiB.)
   */
  readonly maxResponseSize?: number | undefined
}

/**
 * The default for {@link Options.maxResponseSize}: 64 MiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxResponseSize: number = Transport.defaultMaxResponseBytes

/**
 * The default for {@link Options.timeout}.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.minutes(10)

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// RFC 9110 field-value characters: what every HTTP client can send. Anything else (a line
// break that could inject a header, a control or non-Latin-1 character pasted with a key)
// would make the client throw mid-request.
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/

/** The base URL without trailing slashes, or why it is unusable. */
const validateBaseUrl = (baseUrl: string): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return Either.left(`${JSON.stringify(baseUrl)} is not a URL`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(`must be an http:// or https:// URL, got ${url.protocol}`)
  }
  // Credentials in the URL would show up in spans and error messages; the key belongs in apiKey.
  if (url.username !== "" || url.password !== "") return Either.left("must not contain credentials")
  if (url.search !== "" || url.hash !== "") return Either.left("must not have a query or fragment")
  return Either.right(url.toString().replace(/\/+$/, ""))
}

const invalid = (path: string, message: string) => Effect.fail(ConfigError.InvalidData([path], message))

/**
 * Builds the client from options. Fails with a `ConfigError` for an unusable base URL, a
 * header that could not be sent safely (a name that is not an HTTP token, a value with a
 * line break or another character HTTP does not allow), an invalid retry policy or
 * response size bound.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient> =
  Effect.fnUntraced(function*(options: Options = {}) {
    const baseUrl = validateBaseUrl(options.baseUrl ?? defaultBaseUrl)
    if (Either.isLeft(baseUrl)) return yield* invalid("baseUrl", `baseUrl ${baseUrl.left}`)

    const plainHeaders: Record<string, string> = {
      "user-agent": `effect-letta/${version}`,
      // The server keeps legacy behaviour (e.g. rejecting `streaming: true`) for clients it
      // does not recognise as v1 SDKs; this header is how it recognises them (PROTOCOL.md §1.6).
      "x-stainless-package-version": version
    }
    const secretHeaderNames: Array<string> = []
    const extra = { ...options.headers, ...(options.projectId === undefined ? {} : { "x-project-id": options.projectId }) }
    for (const [name, raw] of Object.entries(extra)) {
      const value = Redacted.isRedacted(raw) ? Redacted.value(raw) : raw
      if (!headerName.test(name)) return yield* invalid("headers", `header name ${JSON.stringify(name)} is not valid`)
      if (typeof value !== "string" || !headerValue.test(value)) {
        return yield* invalid("headers", `header ${name} has a value with a line break or a character HTTP does not allow`)
      }
      plainHeaders[name.toLowerCase()] = value
      if (Redacted.isRedacted(raw)) secretHeaderNames.push(name.toLowerCase())
    }
    if (options.apiKey !== undefined && !headerValue.test(Redacted.value(options.apiKey))) {
      return yield* invalid("apiKey", "apiKey contains a line break or a character HTTP does not allow")
    }
    const retry = RetryPolicy.resolve(options.retry)
    if (Either.isLeft(retry)) return yield* invalid("retry", `retry ${retry.left}`)
    const maxResponseSize = options.maxResponseSize ?? defaultMaxResponseSize
    if (!Number.isSafeInteger(maxResponseSize) || maxResponseSize < 1) {
      return yield* invalid("maxResponseSize", `maxResponseSize must be a whole number of bytes, at least 1`)
    }

    const base = yield* HttpClient.HttpClient
    const shaped = base.pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(baseUrl.right),
          HttpClientRequest.setHeaders(plainHeaders),
          // Per-request headers (e.g. Accept) take precedence over the defaults.
          HttpClientRequest.setHeaders(request.headers),
          options.apiKey === undefined ? (r) => r : HttpClientRequest.bearerToken(options.apiKey)
        )
      ),
      options.transformClient ?? ((client) => client),
      // Outermost, so spans and whatever a `transformClient` logs also mask the secret headers.
      secretHeaderNames.length === 0
        ? (client) => client
        : HttpClient.transformResponse(
          Effect.locallyWith(Headers.currentRedactedNames, (names) => [...names, ...secretHeaderNames])
        )
    )
    const transport = Transport.make(shaped, {
      timeout: Duration.decode(options.timeout ?? defaultTimeout),
      streamTimeouts: options.streamTimeouts,
      retry: retry.right,
      maxResponseBytes: maxResponseSize
    })
    return LettaClient.of({
      agents: Agents.make(transport),
      runs: Runs.make(transport),
      conversations: Conversations.make(transport)
    })
  })

/**
 * Provides the client from options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<LettaClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(LettaClient, make(options))

/**
 * Parses `LETTA_CUSTOM_HEADERS`: one `Name: value` per line, like the official SDK.
 *
 * @since 0.1.0
 * @category config
 */
export const parseCustomHeaders = (text: string): Either.Either<Record<string, string>, string> => {
  const headers: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]
    if (line.trim() === "") continue
    const colon = line.indexOf(":")
    // The line itself is not shown: these headers carry secrets, and a line without its
    // colon may be nothing but one (`Authorization Bearer sk-…`).
    if (colon <= 0) return Either.left(`line ${index + 1}: expected "Name: value"`)
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  }
  return Either.right(headers)
}

/**
 * `LETTA_CUSTOM_HEADERS` as a Config (empty when unset). Every value is treated as secret
 * (masked in spans and logs), since nothing tells a password header from a harmless one.
 *
 * @since 0.1.0
 * @category config
 */
export const customHeadersConfig: Config.Config<Record<string, Redacted.Redacted>> = Config.redacted(
  "LETTA_CUSTOM_HEADERS"
).pipe(
  Config.mapOrFail((text) =>
    Either.map(
      Either.mapLeft(parseCustomHeaders(Redacted.value(text)), (message) => ConfigError.InvalidData([], message)),
      (headers) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Redacted.make(value)]))
    )
  ),
  Config.withDefault({})
)

/**
 * What `layerConfig` takes: each setting as a `Config`, replacing the environment variable
 * it reads by default.
 *
 * @since 0.1.0
 * @category options
 */
export interface ConfigOptions {
  /** Replaces `LETTA_API_KEY`. */
  readonly apiKey?: Config.Config<Redacted.Redacted | undefined> | undefined
  /** Replaces `LETTA_BASE_URL`. */
  readonly baseUrl?: Config.Config<string> | undefined
  /** Replaces `LETTA_PROJECT_ID`. */
  readonly projectId?: Config.Config<string | undefined> | undefined
  /** Replaces `LETTA_CUSTOM_HEADERS`. */
  readonly headers?: Config.Config<Readonly<Record<string, string | Redacted.Redacted>>> | undefined
  /** See {@link Options.timeout}. */
  readonly timeout?: Config.Config<Duration.Duration> | undefined
  /** See {@link Options.streamTimeouts}. */
  readonly streamTimeouts?: Streaming.Timeouts | undefined
  /** See {@link Options.transformClient}. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /** The retry policy; by default {@link retryConfig}. */
  readonly retry?: Config.Config<Retry.Policy | false> | undefined
  /** See {@link Options.maxResponseSize}. */
  readonly maxResponseSize?: number | undefined
}

/** An optional setting; an empty variable counts as unset, as shells often export them empty. */
const optionalString = (name: string) =>
  Config.map(Config.option(Config.string(name)), (value) => Option.getOrUndefined(Option.filter(value, (v) => v !== "")))

/**
 * `LETTA_MAX_RETRIES` as a retry policy: how many times a failed request may be retried
 * (like the official SDK's `maxRetries`), `0` for never. Unset (or empty), the defaults of
 * `Retry.defaults` apply.
 *
 * @since 0.1.0
 * @category config
 */
export const retryConfig: Config.Config<Retry.Policy | false> = Config.mapOrFail(
  optionalString("LETTA_MAX_RETRIES"),
  (text): Either.Either<Retry.Policy | false, ConfigError.ConfigError> => {
    if (text === undefined) return Either.right({})
    if (!/^\d+$/.test(text.trim())) {
      return Either.left(ConfigError.InvalidData([], `LETTA_MAX_RETRIES: expected a whole number, got ${JSON.stringify(text)}`))
    }
    const retries = Number(text.trim())
    return Either.right(retries === 0 ? false : { maxAttempts: retries + 1 })
  }
)

/**
 * The client configured from the environment (or any `ConfigProvider`): `LETTA_API_KEY`
 * (optional, redacted), `LETTA_BASE_URL` (default Letta Cloud), `LETTA_PROJECT_ID`,
 * `LETTA_CUSTOM_HEADERS` and `LETTA_MAX_RETRIES`. Each can be replaced with another `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<LettaClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    LettaClient,
    Effect.gen(function*() {
      const apiKey = yield* (options.apiKey ??
        Config.map(
          Config.option(Config.redacted("LETTA_API_KEY")),
          (key) => Option.getOrUndefined(Option.filter(key, (k) => Redacted.value(k) !== ""))
        ))
      const baseUrl = yield* (options.baseUrl ?? Config.map(optionalString("LETTA_BASE_URL"), (url) => url ?? defaultBaseUrl))
      const projectId = yield* (options.projectId ?? optionalString("LETTA_PROJECT_ID"))
      const headers = yield* (options.headers ?? customHeadersConfig)
      const timeout = options.timeout === undefined ? undefined : yield* options.timeout
      const retry = yield* (options.retry ?? retryConfig)
      return yield* make({
        retry,
        apiKey,
        baseUrl,
        projectId,
        headers,
        timeout,
        streamTimeouts: options.streamTimeouts,
        transformClient: options.transformClient,
        maxResponseSize: options.maxResponseSize
      })
    })
  )
