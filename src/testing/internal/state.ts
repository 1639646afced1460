/**
 * What every endpoint of one server instance shares.
 */
import type { Duration, Effect, Fiber } from "effect"
import type { Redis } from "./redis.js"
import type { Store } from "./store.js"

export interface ServerState {
  readonly store: Store
  /** locks, request-token mappings and background streams: what the real server keeps in Redis */
  readonly redis: Redis
  /** when the server (and so its default user) came up, in epoch millis */
  readonly startedAt: number
  readonly asyncRunDelay: Duration.Duration
  /** `LETTA_KEEPALIVE_INTERVAL`: silence before a keepalive ping */
  readonly keepaliveInterval: Duration.Duration
  /** `max_stream_silence`: how long a stream may carry only pings before the body ends */
  readonly maxStreamSilence: Duration.Duration
  /** `max_stream_length`: how many entries a background run's Redis stream keeps */
  readonly maxStreamLength: number
  /** the background fiber of each async run that has not finished yet */
  readonly runFibers: Map<string, Fiber.RuntimeFiber<void>>
  /** forks into the server's FiberSet, so closing the server interrupts it */
  readonly fork: (effect: Effect.Effect<void>) => Effect.Effect<Fiber.RuntimeFiber<void>>
}
