/**
 * What a long-lived process must get back after its streams are gone, each measured the way
 * a leak would show up: sockets (the embedded server's open connections, and the process's
 * TCP handles), fibers (a `Supervisor.track` over everything the client forked) and heap
 * (`heapUsed` after full garbage collections).
 */
import { Duration, Effect, Fiber, Supervisor } from "effect"
import { getHeapCodeStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

/** Counts of the process's active libuv handles and requests, by type (`TCPSocketWrap`, `Timeout`, …). */
export const activeResources = (): Readonly<Record<string, number>> => {
  const counts: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/** Open TCP sockets of this process, both ends of a loopback connection included. */
export const tcpSockets = (): number => activeResources()["TCPSocketWrap"] ?? 0

/** Sockets still open after the wait, and how long they took to close. */
export interface SocketsLeft {
  /** the embedded server's open connections */
  readonly server: number
  /** this process's TCP sockets above the baseline that are not the server's */
  readonly client: number
  readonly waitedMs: number
}

/**
 * Polls until the server has no connection open and the process is back to `baseline` TCP
 * sockets, or `within` has passed; returns what was left. Idle keep-alive sockets close by
 * themselves (undici after 4 s idle, the server after 5 s), so `within` must be longer than
 * that: a socket still open after it is held by someone.
 */
export const awaitSocketsClosed = (
  serverConnections: Effect.Effect<number>,
  baseline: number,
  within: Duration.DurationInput
) =>
  Effect.gen(function*() {
    const started = performance.now()
    const deadline = started + Duration.toMillis(within)
    for (;;) {
      const server = yield* serverConnections
      const client = tcpSockets() - baseline - server
      if ((server === 0 && client <= 0) || performance.now() >= deadline) {
        return { server, client: Math.max(client, 0), waitedMs: performance.now() - started } satisfies SocketsLeft
      }
      yield* Effect.sleep("20 millis")
    }
  })

/**
 * Every fiber started under `track` (its forks, their forks, daemons included: a forked
 * fiber inherits the supervisor) until it ends. The supervisor holds the live ones, so a
 * fiber that never ends stays listed.
 */
export const makeFiberTracker = Effect.map(Supervisor.track, (supervisor) => ({
  track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.supervised(effect, supervisor),
  /**
   * Polls until no tracked fiber is alive, or `within` has passed; returns the ones left.
   * A fiber interrupted by a race (a timeout's loser) may end a moment after its parent
   * moved on, hence the wait.
   */
  awaitNone: (within: Duration.DurationInput) =>
    Effect.gen(function*() {
      const deadline = performance.now() + Duration.toMillis(within)
      for (;;) {
        const alive = (yield* supervisor.value).filter((fiber) => fiber.unsafePoll() === null)
        if (alive.length === 0 || performance.now() >= deadline) return alive
        yield* Effect.sleep("10 millis")
      }
    })
}))

/** A readable list of fibers left running: id and status, for a failure message. */
export const describeFibers = (fibers: ReadonlyArray<Fiber.RuntimeFiber<unknown, unknown>>) =>
  Effect.forEach(fibers.slice(0, 10), (fiber) =>
    Effect.map(Fiber.status(fiber), (status) => `#${fiber.id().id} ${status._tag}`)).pipe(
      Effect.map((lines) => lines.join(", ") + (fibers.length > 10 ? ` (+${fibers.length - 10} more)` : ""))
    )

/**
 * V8's collector, exposed at run time when the process was not started with
 * `--expose-gc` (vitest's workers are not): the flag makes new contexts get `gc`.
 */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
})()

/** The heap after full collections: all of it, and what V8 counts as compiled code. */
export interface HeapSample {
  readonly used: number
  /** machine code, bytecode and their metadata (feedback, deoptimization data) */
  readonly code: number
}

/**
 * The heap after full collections. Between collections the event loop turns, so objects
 * freed by finalizers and weak callbacks of the previous one are gone by the last.
 */
export const heapAfterGc: Effect.Effect<HeapSample> = Effect.promise(async () => {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const code = getHeapCodeStatistics()
  return {
    used: process.memoryUsage().heapUsed,
    code: code.code_and_metadata_size + code.bytecode_and_metadata_size
  }
})

/**
 * Growth of the heap outside compiled code. The optimizer keeps compiling the paths it
 * reaches for the first few thousand streams (code grew 1.4 MB from 500 to 10,000
 * streams), which is bounded by the code, not by the number of streams.
 */
export const heapGrowth = (before: HeapSample, after: HeapSample): number =>
  (after.used - after.code) - (before.used - before.code)

/**
 * Data growth allowed once the baseline is taken. The rest of what the optimizer adds
 * outside V8's code statistics (the code's dependency lists, inline caches) measured
 * 0.1–0.3 MB per 2,500 streams after the first 3,000, and up to 1 MB over CI's first few
 * hundred; heap snapshots attribute all but a few KB of it to compiled code. A leak of 220
 * bytes a stream exceeds the slack over the 7,000 streams measured of a 10,000 run; over
 * CI's 200 it takes about 8 KB a stream, about what one leaked stream holds (its fibers,
 * scopes and response: 60 KB).
 */
export const heapSlack = 1.5 * 1024 * 1024

/** Bytes as MB with one decimal, for reports. */
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
