/**
 * What every endpoint of one server instance shares.
 */
import type { Duration, Effect, Fiber } from "effect"
import type { Store } from "./store.js"

export interface ServerState {
  readonly store: Store
  /** when the server (and so its default user) came up, in epoch millis */
  readonly startedAt: number
  readonly asyncRunDelay: Duration.Duration
  /** the background fiber of each async run that has not finished yet */
  readonly runFibers: Map<string, Fiber.RuntimeFiber<void>>
  /** forks into the server's FiberSet, so closing the server interrupts it */
  readonly fork: (effect: Effect.Effect<void>) => Effect.Effect<Fiber.RuntimeFiber<void>>
}
