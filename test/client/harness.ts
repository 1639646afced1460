/**
 * Test wiring: the embedded server on 127.0.0.1 and a LettaClient pointed at it, over each
 * HttpClient implementation the library must work with.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

/** The HttpClient implementations every client test runs against. */
export const httpClients: ReadonlyArray<{ readonly name: string; readonly layer: Layer.Layer<HttpClient.HttpClient> }> = [
  { name: "NodeHttpClient (undici)", layer: NodeHttpClient.layerUndici },
  { name: "FetchHttpClient", layer: FetchHttpClient.layer }
]

/**
 * `response` as an app that decorates its client's responses hands it on: a `stream` of its
 * own (here reading the same body), which the library must read through instead of going
 * past it to the body it wraps.
 */
export const withOwnStream = (
  response: HttpClientResponse.HttpClientResponse
): HttpClientResponse.HttpClientResponse =>
  Object.defineProperty(Object.create(response), "stream", { get: () => response.stream })

/** A fresh embedded server and a client for it. */
export const serverAndClient = (
  http: Layer.Layer<HttpClient.HttpClient>,
  serverOptions?: LettaTestServer.Options,
  clientOptions?: Omit<LettaClient.Options, "baseUrl">
) =>
  Layer.unwrapEffect(
    Effect.map(LettaTestServer.LettaTestServer, (server) => LettaClient.layer({ ...clientOptions, baseUrl: server.url }))
  ).pipe(Layer.provideMerge(LettaTestServer.layer(serverOptions)), Layer.provide(http), Layer.orDie)

/** The client and the server, for a test body. */
export const services = Effect.all({ client: LettaClient.LettaClient, server: LettaTestServer.LettaTestServer })
