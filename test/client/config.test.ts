import { describe, expect, it } from "@effect/vitest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigProvider, Effect, Either, Exit, Layer, Redacted } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { readFileSync } from "node:fs"
import { httpClients } from "./harness.js"

/** Builds the client from `env` and sends one request over `http`; returns what the server saw. */
const withEnv = (
  http: Layer.Layer<HttpClient.HttpClient>,
  env: Record<string, string>,
  serverOptions?: LettaTestServer.Options
) =>
  Effect.gen(function*() {
    const server = yield* LettaTestServer.make(serverOptions)
    const withUrl = { LETTA_BASE_URL: server.url, ...env }
    yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.listPage()).pipe(
      Effect.provide(LettaClient.layerConfig().pipe(Layer.provide(http))),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(withUrl))))
    )
    const [request] = yield* server.requests
    return request
  }).pipe(Effect.scoped)

const buildFails = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const exit = yield* Layer.build(LettaClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
      Effect.scoped,
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.exit
    )
    expect(Exit.isFailure(exit)).toBe(true)
    return String(exit)
  })

// What reaches the server goes through the app's HttpClient, so it is checked over each one.
for (const http of httpClients) {
  describe(`LettaClient configuration over ${http.name}`, () => {
    it.effect("reads the key, project id and custom headers from the environment", () =>
      Effect.gen(function*() {
        const request = yield* withEnv(http.layer, {
          LETTA_API_KEY: "sk-env",
          LETTA_PROJECT_ID: "proj-1",
          LETTA_CUSTOM_HEADERS: "X-Letta-Source: tests\nX-Other: a: b"
        }, { apiKey: "sk-env" })
        expect(request.headers["x-project-id"]).toBe("proj-1")
        expect(request.headers["x-letta-source"]).toBe("tests")
        expect(request.headers["x-other"]).toBe("a: b")
        // The server redacts what it records; its accepting the request proves the key was sent.
        expect(request.headers.authorization).toBe("<redacted>")
      }))

    it.effect("sends no Authorization header without a key (or with an empty one)", () =>
      Effect.gen(function*() {
        expect((yield* withEnv(http.layer, {})).headers.authorization).toBeUndefined()
        expect((yield* withEnv(http.layer, { LETTA_API_KEY: "" })).headers.authorization).toBeUndefined()
      }))
  })
}

// Nothing below reaches a server (the request is intercepted, or the layer fails to build),
// so which HttpClient carries it does not matter.
describe("LettaClient configuration", () => {
  it.effect("defaults to Letta Cloud", () =>
    Effect.gen(function*() {
      // Intercept the finished request instead of sending it: tests only talk to loopback.
      const urls: Array<string> = []
      const intercept = (client: HttpClient.HttpClient) =>
        HttpClient.transform(client, (_send, request) =>
          Effect.sync(() => {
            urls.push(request.url)
            return HttpClientResponse.fromWeb(request, new Response("[]", { status: 200 }))
          }))
      yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.listPage()).pipe(
        Effect.provide(
          LettaClient.layerConfig({ transformClient: intercept }).pipe(Layer.provide(NodeHttpClient.layerUndici))
        ),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      )
      expect(urls).toEqual(["https://api.letta.com/v1/runs/"])
      // An exported-but-empty variable counts as unset.
      yield* Effect.flatMap(LettaClient.LettaClient, (client) => client.runs.listPage()).pipe(
        Effect.provide(
          LettaClient.layerConfig({ transformClient: intercept }).pipe(Layer.provide(NodeHttpClient.layerUndici))
        ),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LETTA_BASE_URL", ""], ["LETTA_PROJECT_ID", ""]])))
      )
      expect(urls[1]).toBe("https://api.letta.com/v1/runs/")
    }))

  it.effect("refuses base URLs and headers it could not use safely", () =>
    Effect.gen(function*() {
      expect(yield* buildFails({ LETTA_BASE_URL: "ftp://example.com" })).toContain("http:// or https://")
      expect(yield* buildFails({ LETTA_BASE_URL: "not a url" })).toContain("is not a URL")
      expect(yield* buildFails({ LETTA_BASE_URL: "https://user:pw@example.com" })).toContain("credentials")
      expect(yield* buildFails({ LETTA_PROJECT_ID: "p\r\nX-Injected: 1" })).toContain("line break")
      expect(yield* buildFails({ LETTA_CUSTOM_HEADERS: "no colon here" })).toContain("Name: value")
      expect(yield* buildFails({ LETTA_CUSTOM_HEADERS: "Bad Name: x" })).toContain("not valid")
      const badKey = yield* Layer.build(
        LettaClient.layer({ apiKey: Redacted.make("k\nX: y") }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      ).pipe(Effect.scoped, Effect.exit)
      expect(Exit.isFailure(badKey) && String(badKey)).toContain("apiKey")
      expect(String(badKey)).not.toContain("X: y")
    }))

  it("parses LETTA_CUSTOM_HEADERS like the official SDK", () => {
    expect(LettaClient.parseCustomHeaders("A: 1\r\n\nB:2  \n")).toEqual(Either.right({ A: "1", B: "2" }))
    expect(Either.isLeft(LettaClient.parseCustomHeaders(": x"))).toBe(true)
  })

  it("sends the package version in the User-Agent", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    const { version } = await import("../../src/internal/version.js")
    expect(version).toBe(pkg.version)
  })
})
