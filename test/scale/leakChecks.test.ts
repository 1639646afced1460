/**
 * Negative controls for the checks of the scale test: each is shown a deliberate leak of
 * the kind it guards against and must report it, then report nothing once the leak is gone.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { awaitSocketsClosed, heapAfterGc, heapGrowth, heapSlack, makeFiberTracker, tcpSockets } from "./leakChecks.js"

/** A server, an agent made by a client that is gone (so no keep-alive socket is left), and a fresh client. */
const setup = Effect.gen(function*() {
  const server = yield* LettaTestServer.make()
  const agent = yield* Effect.scoped(
    Effect.flatMap(
      Layer.build(LettaClient.layer({ baseUrl: server.url }).pipe(Layer.provide(NodeHttpClient.layerUndici))),
      (context) => Context.get(context, LettaClient.LettaClient).agents.create({ name: "control" })
    )
  )
  const client = yield* Layer.build(LettaClient.layer({ baseUrl: server.url }).pipe(Layer.provide(NodeHttpClient.layerUndici)))
    .pipe(Effect.map(Context.get(LettaClient.LettaClient)))
  // The setup client's sockets were destroyed with its dispatcher; wait for the server to see it.
  yield* awaitSocketsClosed(server.openConnections, 0, "2 seconds")
  return { server, agent, client, baseline: tcpSockets() }
})

/**
 * The fiber and socket checks see the leak (one connection open on each side), and nothing
 * once `release` has ended it.
 */
const foundThenGone = (
  leak: {
    readonly tracker: Effect.Effect.Success<typeof makeFiberTracker>
    readonly server: LettaTestServer.Service
    readonly baseline: number
  },
  release: Effect.Effect<unknown>
) =>
  Effect.gen(function*() {
    const { baseline, server, tracker } = leak
    expect((yield* tracker.awaitNone("200 millis")).length).toBeGreaterThan(0)
    const sockets = yield* awaitSocketsClosed(server.openConnections, baseline, "200 millis")
    expect([sockets.server, sockets.client]).toEqual([1, 1])
    yield* release
    expect(yield* tracker.awaitNone("1 second")).toEqual([])
    const after = yield* awaitSocketsClosed(server.openConnections, baseline, "1 second")
    expect([after.server, after.client]).toEqual([0, 0])
  })

describe("leak checks (negative controls)", () => {
  it.live("a fiber forked as a daemon and forgotten is found", () =>
    Effect.gen(function*() {
      const tracker = yield* makeFiberTracker
      const leaked = yield* tracker.track(Effect.forkDaemon(Effect.never))
      expect((yield* tracker.awaitNone("100 millis")).length).toBe(1)
      yield* Fiber.interrupt(leaked)
      expect(yield* tracker.awaitNone("100 millis")).toEqual([])
    }))

  it.live("a consumer forked as a daemon and forgotten leaves its fibers and its socket, and both are found", () =>
    Effect.gen(function*() {
      const { agent, baseline, client, server } = yield* setup
      yield* server.injectFault(LettaTestServer.hang({ path: `/v1/agents/${agent.id}/messages` }))
      const tracker = yield* makeFiberTracker
      const leaked = yield* tracker.track(
        Effect.forkDaemon(Stream.runDrain(client.agents.messages.stream(agent.id, { input: "hello" })))
      )
      yield* Effect.repeat(server.requests, { until: (requests) => requests.length > 0 })
      yield* foundThenGone({ tracker, server, baseline }, Fiber.interrupt(leaked))
    }).pipe(Effect.scoped, Effect.orDie))

  it.live("a stream read in a scope that is never closed leaves its fibers and its socket, and both are found", () =>
    Effect.gen(function*() {
      const { agent, baseline, client, server } = yield* setup
      const tracker = yield* makeFiberTracker
      const scope = yield* Scope.make()
      // The server waits 5 s before each event after the first ping: the response stays open.
      const pull = yield* tracker.track(
        Stream.toPull(client.agents.messages.stream(agent.id, { input: "/slow 5000 hello" }, { includePings: true }))
      ).pipe(Scope.extend(scope))
      const [ping] = yield* tracker.track(pull)
      expect(ping?.message_type).toBe("ping")
      yield* foundThenGone({ tracker, server, baseline }, Scope.close(scope, Exit.void))
    }).pipe(Effect.scoped, Effect.orDie))

  it.live("memory kept for each of 300 streams is found", () =>
    Effect.gen(function*() {
      // 8 KB a stream: what CI's few hundred streams must be able to show.
      const kept: Array<Array<number>> = []
      const before = yield* heapAfterGc
      for (let i = 0; i < 300; i++) kept.push(Array.from({ length: 1024 }, (_, j) => i + j / 1024))
      expect(heapGrowth(before, yield* heapAfterGc)).toBeGreaterThan(heapSlack)
      kept.length = 0
      expect(heapGrowth(before, yield* heapAfterGc)).toBeLessThan(heapSlack)
    }))
})
