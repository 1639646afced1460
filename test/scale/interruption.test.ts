/**
 * Interruption at scale: many streams (agents and conversations, step and token mode,
 * foreground and background) and `runs.await` waits, each stopped at a random point —
 * after some events, before the response headers, mid-`/slow`, during the resume after a
 * `/cut`, while waiting to retry a 503, by its own idle limit, or mid-poll — over both HTTP
 * clients at once. Afterwards nothing may be left:
 * no socket on either side, no fiber the client forked, and no heap growth between the
 * warm-up round and the last one.
 *
 * The server is made anew for each round, on the same port, so its own records (requests,
 * runs, stored streams) are garbage when the heap is measured; the clients live through
 * all rounds, as in a long-running app.
 *
 * CI runs a few hundred; `npm run test:scale` runs 10,000. Environment: `SCALE_STREAMS`,
 * `SCALE_CONCURRENCY`, `SCALE_SEED`, and `SCALE_SNAPSHOTS=<dir>` to write heap snapshots
 * after the warm-up round and at the end (to see what grew).
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, Scope } from "effect"
import { LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { join } from "node:path"
import { writeHeapSnapshot } from "node:v8"
import { httpClients } from "../client/harness.js"
import {
  activeResources,
  awaitSocketsClosed,
  describeFibers,
  heapAfterGc,
  heapGrowth,
  type HeapSample,
  heapSlack,
  makeFiberTracker,
  mb,
  type SocketsLeft
} from "./leakChecks.js"
import { interrupt, prepare, prng, type Targets } from "./scenarios.js"

const streams = Number(process.env["SCALE_STREAMS"] ?? 300)
const concurrency = Number(process.env["SCALE_CONCURRENCY"] ?? 64)
const seed = Number(process.env["SCALE_SEED"] ?? 1)
const snapshots = process.env["SCALE_SNAPSHOTS"]

// The first round warms up (JIT, schema caches, connection pools). Later rounds hold at most
// `roundSize` streams of server state in memory.
const warmup = Math.min(500, Math.max(100, Math.round(streams / 5)))
const roundSize = 2_500
const rounds = [warmup]
for (let left = streams - warmup; left > 0; left -= roundSize) rounds.push(Math.min(left, roundSize))

/** Idle keep-alive sockets close after 4–5 s; anything open after this is held. */
const socketWait = "10 seconds"

interface RoundReport {
  readonly streams: number
  readonly ms: number
  readonly outcomes: Readonly<Record<string, number>>
  readonly fibersLeft: number
  readonly fiberList: string
  readonly sockets: SocketsLeft
  /** other handles (timers, …) above the round's baseline once the sockets were closed */
  readonly resourcesLeft: Readonly<Record<string, number>>
  /** after the round, its server closed */
  readonly heap: HeapSample
}

const add = (into: Record<string, number>, key: string, n = 1) => {
  into[key] = (into[key] ?? 0) + n
}

describe("interruption at scale", () => {
  it.live(
    `${streams} interrupted streams and waits leave no sockets, fibers or heap growth`,
    () =>
      Effect.gen(function*() {
        const tracker = yield* makeFiberTracker
        const logged: Record<string, number> = {}
        // The best-effort cancels log when they cannot cancel; counted, not printed thousands of times.
        const quiet = Logger.replace(
          Logger.defaultLogger,
          Logger.make(({ message }) => {
            const text = String(Array.isArray(message) ? message[0] : message)
            add(logged, text.replace(/(run|conv)-[0-9a-f-]+/g, "$1-…"))
          })
        )

        /** A server on `port` (a free one when 0) until `close`. */
        const startServer = (port: number) =>
          Effect.gen(function*() {
            const scope = yield* Scope.make()
            const server = yield* Scope.extend(LettaTestServer.make({ port, asyncRunDelay: "1 hour", seed }), scope)
            return { server, close: Scope.close(scope, Exit.void) }
          })

        // The first server picks a free port; the next ones listen on it again. Only the
        // round that uses a server refers to it.
        let next: Effect.Effect.Success<ReturnType<typeof startServer>> | undefined = yield* startServer(0)
        const port = next.server.port
        // The clients outlive the rounds, like the one client of a long-running app.
        const baseUrl = next.server.url
        const clients = yield* Effect.forEach(httpClients, (http) =>
          Layer.build(LettaClient.layer({ baseUrl }).pipe(Layer.provide(http.layer))).pipe(
            Effect.map(Context.get(LettaClient.LettaClient))
          ))

        const round = (index: number, count: number) =>
          Effect.gen(function*() {
            // Nothing may keep a closed server: its records would count as the clients' heap.
            const { close, server } = next ?? (yield* startServer(port))
            next = undefined
            const baseline = activeResources()
            const setup = clients[0]!
            const agent = yield* setup.agents.create({ name: "scale", model: "openai/gpt-4o-mini" })
            const hangingAgent = yield* setup.agents.create({ name: "hanging", model: "openai/gpt-4o-mini" })
            const hangingConversation = yield* setup.conversations.create(hangingAgent.id)
            for (const path of [`/v1/agents/${hangingAgent.id}/messages`, `/v1/conversations/${hangingConversation.id}/messages`]) {
              yield* server.injectFault(LettaTestServer.hang({ path, times: 1e9 }))
            }
            const targets: Targets = {
              agentId: agent.id,
              hangingAgentId: hangingAgent.id,
              hangingConversationId: hangingConversation.id,
              server
            }
            const outcomes: Record<string, number> = {}
            const started = performance.now()
            yield* Effect.forEach(
              Array.from({ length: count }, (_, i) => i),
              (i) => {
                // One PRNG per scenario: the same draws whatever the interleaving.
                const rng = prng(seed * 1_000_003 + index * 100_000 + i)
                return prepare(rng.pick(clients), targets, rng).pipe(
                  Effect.flatMap((scenario) =>
                    Effect.map(interrupt(scenario), (outcome) => add(outcomes, `${scenario.kind} ${outcome}`))
                  ),
                  Effect.catchAll((error) => Effect.sync(() => add(outcomes, `prepare failed: ${error._tag}`))),
                  tracker.track
                )
              },
              { concurrency, discard: true }
            ).pipe(Effect.provide(quiet))
            const ms = performance.now() - started
            const fibers = yield* tracker.awaitNone("5 seconds")
            const sockets = yield* awaitSocketsClosed(server.openConnections, baseline["TCPSocketWrap"] ?? 0, socketWait)
            yield* close
            // The server's own timers (its async runs) are gone with it; any left are the clients'.
            const resourcesLeft: Record<string, number> = {}
            for (const [type, n] of Object.entries(activeResources())) {
              if (type !== "TCPSocketWrap" && n > (baseline[type] ?? 0)) resourcesLeft[type] = n - (baseline[type] ?? 0)
            }
            return {
              streams: count,
              ms,
              outcomes,
              fibersLeft: fibers.length,
              fiberList: yield* describeFibers(fibers),
              sockets,
              resourcesLeft
            }
          })

        const reports: Array<RoundReport> = []
        for (const [index, count] of rounds.entries()) {
          const report = yield* round(index, count)
          // Measured out here, where nothing refers to the round's server any more.
          reports.push({ ...report, heap: yield* heapAfterGc })
          if (snapshots !== undefined) writeHeapSnapshot(join(snapshots, `round-${index + 1}.heapsnapshot`))
        }
        // The heap is compared from where the optimizer has mostly settled: after the first
        // 3,000 streams when there are more rounds, else after the warm-up round.
        const baseline = reports.length > 2 ? reports[1]! : reports[0]!
        const end = reports.at(-1)!
        const growth = heapGrowth(baseline.heap, end.heap)
        const data = (heap: HeapSample) => mb(heap.used - heap.code)

        const outcomes: Record<string, number> = {}
        for (const report of reports) {
          for (const [key, n] of Object.entries(report.outcomes)) add(outcomes, key, n)
        }
        const total = (predicate: (key: string) => boolean) =>
          Object.entries(outcomes).reduce((sum, [key, n]) => (predicate(key) ? sum + n : sum), 0)
        const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
        console.log(
          [
            `${streams} streams in ${rounds.length} rounds (concurrency ${concurrency}, seed ${seed}):`,
            ...reports.map((r, i) =>
              `  round ${i + 1}: ${r.streams} in ${seconds(r.ms)}; fibers left ${r.fibersLeft}; ` +
              `sockets left: server ${r.sockets.server}, client ${r.sockets.client} ` +
              `(after ${seconds(r.sockets.waitedMs)}); other handles left ${JSON.stringify(r.resourcesLeft)}; ` +
              `heap ${mb(r.heap.used)}, of which code ${mb(r.heap.code)}, data ${data(r.heap)}`
            ),
            `  heap data from round ${reports.indexOf(baseline) + 1} to the end: ${growth >= 0 ? "+" : ""}${mb(growth)} ` +
            `(slack ${mb(heapSlack)})`,
            `  outcomes: ${JSON.stringify(Object.fromEntries(Object.entries(outcomes).sort()))}`,
            `  logged: ${JSON.stringify(logged)}`
          ].join("\n")
        )

        expect(total((key) => key.includes("failed")), JSON.stringify(outcomes)).toBe(0)
        // Most are really interrupted; the rest ended first, or were taken.
        expect(total((key) => key.endsWith("interrupted"))).toBeGreaterThan(streams / 2)
        for (const [i, report] of reports.entries()) {
          expect(report.fibersLeft, `round ${i + 1}: fibers left: ${report.fiberList}`).toBe(0)
          expect([report.sockets.server, report.sockets.client], `round ${i + 1}: sockets left (server, client)`)
            .toEqual([0, 0])
          expect(report.resourcesLeft, `round ${i + 1}: handles left`).toEqual({})
        }
        expect(growth, "heap growth outside compiled code").toBeLessThan(heapSlack)
      }).pipe(Effect.scoped),
    { timeout: 120_000 + streams * 30 }
  )
})
