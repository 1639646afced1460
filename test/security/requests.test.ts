/**
 * What a caller passes can never change where a request goes or inject into it: path
 * parameters with `/`, `..`, `?`, `#`, `%`, spaces or any other character reach the server
 * as exactly one segment of the intended path, or are refused with an `InvalidRequestError`
 * before anything is sent; query values stay one value of one parameter; header values with
 * CR, LF or other characters HTTP cannot carry, from any source (options, API key, project
 * id, the environment), fail the layer with a `ConfigError` before any request exists
 * (headers are layer options, checked once when it is built, so no request can ever carry
 * them); and the base URL must be an absolute http(s) URL.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigError, ConfigProvider, Effect, Either, Exit, FastCheck as fc, Layer, Redacted, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { httpClients, serverAndClient, services } from "../client/harness.js"

/** Every operation that puts a caller's id in the path, and the path it must reach. */
const operations: ReadonlyArray<{
  readonly name: string
  readonly path: (id: string) => string
  readonly call: (client: LettaClient.LettaClient["Type"], id: string) => Effect.Effect<unknown, unknown>
}> = [
  { name: "agents.retrieve", path: (id) => `/v1/agents/${id}`, call: (c, id) => c.agents.retrieve(id) },
  { name: "agents.delete", path: (id) => `/v1/agents/${id}`, call: (c, id) => c.agents.delete(id) },
  { name: "agents.messages.listPage", path: (id) => `/v1/agents/${id}/messages`, call: (c, id) => c.agents.messages.listPage(id) },
  {
    name: "agents.messages.stream",
    path: (id) => `/v1/agents/${id}/messages`,
    call: (c, id) => Stream.runDrain(c.agents.messages.stream(id, { input: "x" }))
  },
  { name: "agents.messages.cancel", path: (id) => `/v1/agents/${id}/messages/cancel`, call: (c, id) => c.agents.messages.cancel(id) },
  { name: "agents.messages.reset", path: (id) => `/v1/agents/${id}/reset-messages`, call: (c, id) => c.agents.messages.reset(id) },
  { name: "conversations.retrieve", path: (id) => `/v1/conversations/${id}`, call: (c, id) => c.conversations.retrieve(id) },
  {
    name: "conversations.messages.listPage",
    path: (id) => `/v1/conversations/${id}/messages`,
    call: (c, id) => c.conversations.messages.listPage(id)
  },
  { name: "conversations.cancel", path: (id) => `/v1/conversations/${id}/cancel`, call: (c, id) => c.conversations.cancel(id) },
  { name: "runs.retrieve", path: (id) => `/v1/runs/${id}`, call: (c, id) => c.runs.retrieve(id) },
  { name: "runs.messagesPage", path: (id) => `/v1/runs/${id}/messages`, call: (c, id) => c.runs.messagesPage(id) },
  { name: "runs.usage", path: (id) => `/v1/runs/${id}/usage`, call: (c, id) => c.runs.usage(id) }
]

/** Ids that try to leave their segment, and ordinary ones. */
const id = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "",
    "...",
    "a.b",
    "~",
    "a/b",
    "../runs",
    "agent-1/../../runs",
    "a?limit=1000",
    "a#fragment",
    "%2F",
    "%2e%2e",
    "..%2F",
    "a b",
    "a+b",
    "agent-💥",
    "ü",
    "a\r\nX-Injected: 1",
    "a\u0000",
    "\\",
    "a;b",
    "x".repeat(257),
    "agent-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00"
  ),
  fc.string({ unit: fc.constantFrom("a", "-", ".", "/", "?", "#", "%", " ", "~", "_", "é", "\\", ":", "@"), maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/)
)

for (const http of httpClients) {
  describe(`request paths and queries over ${http.name}`, () => {
    it.layer(serverAndClient(http.layer, {}, { retry: false }))((it) => {
      it.effect.prop("a path parameter is one segment of the intended path, or refused before sending", [id], ([id]) =>
        Effect.gen(function*() {
          const { client, server } = yield* services
          for (const operation of operations) {
            yield* server.clearRequests
            const exit = yield* Effect.exit(operation.call(client, id))
            const requests = yield* server.requests
            const refused = Exit.isFailure(exit) && exit.cause._tag === "Fail" &&
              (exit.cause.error as { _tag?: string })._tag === "InvalidRequestError"
            if (refused) {
              expect(requests).toEqual([])
              continue
            }
            // Sent: the server saw exactly the intended path, the id one segment of it.
            expect(requests.length).toBeGreaterThanOrEqual(1)
            const expected = operation.path(encodeURIComponent(id))
            for (const request of requests) {
              expect(request.path).toBe(expected)
              const segments = request.path.split("/")
              const index = operation.path("\u0000").split("/").indexOf("\u0000")
              expect(decodeURIComponent(segments[index])).toBe(id)
            }
          }
        }), { fastCheck: { numRuns: 60 } })

      it.effect.prop(
        "a query value stays the one value of its parameter",
        [fc.string({ unit: "grapheme", maxLength: 20 }), fc.string({ unit: fc.constantFrom("&", "=", "#", "?", "%", "+", " ", "a", "/"), maxLength: 10 })],
        ([unicode, punctuation]) =>
          Effect.gen(function*() {
            const { client, server } = yield* services
            for (const value of [unicode, punctuation, `${punctuation}&limit=1000&order=asc#x`]) {
              yield* server.clearRequests
              yield* Effect.exit(client.runs.listPage({ after: value, agent_id: value }))
              const [request] = yield* server.requests
              expect(request.path).toBe("/v1/runs/")
              expect(request.query.params.after).toEqual([value])
              expect(request.query.params.agent_id).toEqual([value])
              expect(Object.keys(request.query.params).sort()).toEqual(["after", "agent_id"])
            }
          }),
        { fastCheck: { numRuns: 60 } }
      )
    })
  })
}

/**
 * Builds a client against a fresh server (from options given its URL, or from `env`) and
 * sends one request: how it went, and what the server received.
 */
const attempt = (
  layer: (url: string) => Layer.Layer<LettaClient.LettaClient, ConfigError.ConfigError, HttpClient.HttpClient>,
  env: Record<string, string> = {}
) =>
  Effect.gen(function*() {
    const server = yield* LettaTestServer.make()
    const exit = yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.listPage()).pipe(
      Effect.provide(layer(server.url).pipe(Layer.provide(NodeHttpClient.layerUndici))),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ LETTA_BASE_URL: server.url, ...env })))),
      Effect.exit
    )
    return { exit, requests: yield* server.requests }
  }).pipe(Effect.scoped)

const isConfigError = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" && ConfigError.isConfigError(exit.cause.error)

/** Characters a header value may hold (RFC 9110 field-value, as Latin-1). */
const sendable = /^[\t\x20-\x7e\x80-\xff]*$/
/** What arrives of a value: HTTP drops leading and trailing spaces and tabs. */
const trimmed = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, "")

const sources = [
  "headers",
  "Redacted header",
  "apiKey",
  "projectId",
  "LETTA_API_KEY",
  "LETTA_PROJECT_ID",
  "LETTA_CUSTOM_HEADERS"
] as const

/** The layer for a header `value` from `source`, and the header it should arrive as. */
const headerFrom = (source: (typeof sources)[number], value: string) => {
  const options = (extra: LettaClient.Options) => (url: string) => LettaClient.layer({ ...extra, baseUrl: url, retry: false })
  const config = () => LettaClient.layerConfig()
  switch (source) {
    case "headers":
      return { layer: options({ headers: { "x-test": value } }), header: "x-test" }
    case "Redacted header":
      return { layer: options({ headers: { "x-test": Redacted.make(value) } }), header: "x-test" }
    case "apiKey":
      return { layer: options({ apiKey: Redacted.make(value) }), header: undefined }
    case "projectId":
      return { layer: options({ projectId: value }), header: "x-project-id" }
    case "LETTA_API_KEY":
      return { layer: config, env: { LETTA_API_KEY: value }, header: undefined }
    case "LETTA_PROJECT_ID":
      return { layer: config, env: { LETTA_PROJECT_ID: value }, header: value === "" ? undefined : "x-project-id" }
    case "LETTA_CUSTOM_HEADERS":
      // One header per line is the variable's format: a line break there starts a header.
      return { layer: config, env: { LETTA_CUSTOM_HEADERS: `X-Test: ${value.replace(/\n/g, "\r")}` }, header: "x-test" }
  }
}

describe("header values", () => {
  const value = fc.oneof(
    fc.string({ unit: fc.constantFrom("a", " ", "\t", "\r", "\n", "\u0000", "\u007f", "é", "€", ":", "\u2028"), maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.constantFrom("ok\r\nX-Injected: 1", "ok\nX-Injected: 1", "ok\rX-Injected: 1", "tab\tok", "latin-1 ÿ")
  )

  it.effect.prop(
    "from every source: sent as given when HTTP can carry it, else a ConfigError and nothing sent",
    [value, fc.constantFrom(...sources)],
    ([value, source]) =>
      Effect.gen(function*() {
        const { env, header, layer } = headerFrom(source, value)
        const { exit, requests } = yield* attempt(layer, env)
        // The variable's lines are trimmed like any text (`String.prototype.trim`).
        const sent = source === "LETTA_CUSTOM_HEADERS" ? value.replace(/\n/g, "\r").trim() : value
        if (sendable.test(sent)) {
          expect(Exit.isSuccess(exit)).toBe(true)
          expect(requests.length).toBe(1)
          if (header !== undefined && trimmed(sent) !== "") expect(requests[0].headers[header]).toBe(trimmed(sent))
        } else {
          expect(isConfigError(exit)).toBe(true)
          expect(requests).toEqual([])
        }
      }),
    { fastCheck: { numRuns: 150 } }
  )

  it.effect("a header name that is not an HTTP token is a ConfigError too", () =>
    Effect.gen(function*() {
      for (const name of ["x-a\r\nx-b", "x a", "x:a", "", "é"]) {
        const { exit, requests } = yield* attempt((url) => LettaClient.layer({ baseUrl: url, headers: { [name]: "v" } }))
        expect([isConfigError(exit), requests.length]).toEqual([true, 0])
      }
    }))
})

describe("base URL", () => {
  const rejected = [
    "ftp://example.com",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "ws://127.0.0.1:8283",
    "mailto:a@example.com",
    "/v1",
    "relative/path",
    "//127.0.0.1:8283",
    "127.0.0.1:8283",
    "localhost:8283",
    "http//127.0.0.1",
    "http://",
    "https://user:password@api.letta.com",
    "https://api.letta.com/?key=1",
    "https://api.letta.com/#x",
    "not a url",
    " ",
    "\u0000"
  ]
  const accepted = ["http://127.0.0.1:8283", "https://api.letta.com", "HTTPS://API.LETTA.COM/", "http://127.0.0.1:8283/prefix/"]

  /** Whether the layer builds with `baseUrl`, from options and from LETTA_BASE_URL. */
  const builds = (baseUrl: string) =>
    Effect.gen(function*() {
      const fromOptions = yield* Layer.build(LettaClient.layer({ baseUrl })).pipe(Effect.scoped, Effect.either)
      const fromEnv = yield* Layer.build(LettaClient.layerConfig()).pipe(
        Effect.scoped,
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LETTA_BASE_URL", baseUrl]]))),
        Effect.either
      )
      for (const result of [fromOptions, fromEnv]) {
        if (Either.isLeft(result)) expect(ConfigError.isConfigError(result.left)).toBe(true)
      }
      return [Either.isRight(fromOptions), Either.isRight(fromEnv)]
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))

  it.effect("must be an absolute http(s) URL without credentials, query or fragment", () =>
    Effect.gen(function*() {
      for (const url of rejected) {
        expect([url, ...(yield* builds(url))]).toEqual([url, false, false])
      }
      for (const url of accepted) expect([url, ...(yield* builds(url))]).toEqual([url, true, true])
    }))

  it.effect.prop("any string either builds or is a ConfigError, never a defect", [fc.oneof(fc.string(), fc.webUrl())], ([url]) =>
    Effect.gen(function*() {
      const [options, env] = yield* builds(url)
      // A URL the option accepts is accepted from the environment too, and the reverse (an
      // empty variable counts as unset: the default).
      if (url !== "") expect(env).toBe(options)
    }), { fastCheck: { numRuns: 200 } })

  it.effect("requests go to the base URL's host and path, never elsewhere", () =>
    Effect.gen(function*() {
      const { exit, requests } = yield* attempt((url) => LettaClient.layer({ baseUrl: `${url}/`, retry: false }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(requests.map((request) => request.path)).toEqual(["/v1/runs/"])
    }))
})
