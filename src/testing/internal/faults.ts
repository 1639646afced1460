/**
 * Injected faults: which one a request gets, and where a `Cut` falls.
 *
 * Each request gets at most one fault: the first queued one (in injection
 * order) whose method and path match. Each application counts against its
 * `times`; once they are used up the fault leaves the queue, so a later
 * fault for the same path takes over.
 */
import type { Random } from "effect"
import { Effect } from "effect"
import type { Fault } from "../LettaTestServer.js"

export interface QueuedFault {
  readonly fault: Fault
  remaining: number
}

/** Default upper bound of a random cut: a plain stream (initial ping, two messages, stop reason, usage, `[DONE]`) always loses at least its `[DONE]`. */
const defaultRandomMax = 5

const matches = (fault: Fault, method: string, rawPath: string) =>
  (fault.method === undefined || fault.method.toUpperCase() === method) &&
  // A copy, so a global or sticky pattern's lastIndex never carries over between requests.
  (typeof fault.path === "string" ? fault.path === rawPath : new RegExp(fault.path).test(rawPath))

/** The fault for this request, if any, with one of its applications used up. */
export const take = (queue: Array<QueuedFault>, method: string, rawPath: string): Fault | undefined => {
  const index = queue.findIndex(({ fault }) => matches(fault, method, rawPath))
  if (index === -1) return undefined
  const entry = queue[index]!
  entry.remaining -= 1
  if (entry.remaining <= 0) queue.splice(index, 1)
  return entry.fault
}

/** After how many events a `Cut` destroys the connection: fixed, or one draw in [1, randomMax]. */
export const cutPoint = (random: Random.Random, fault: Extract<Fault, { _tag: "Cut" }>): Effect.Effect<number> =>
  fault.afterEvents === "random"
    ? random.nextIntBetween(1, (fault.randomMax ?? defaultRandomMax) + 1)
    : Effect.succeed(fault.afterEvents)
