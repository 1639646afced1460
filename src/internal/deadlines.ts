/**
 * The time limits of every open stream on one clock, kept by one fiber. A sleeping fiber
 * costs some 5 KB of heap, which a fiber per stream paid again for every open stream (5 MB
 * at a thousand). The fiber sleeps until the nearest time at which some deadline must be
 * looked at, looks at those that are due, and ends when no stream is left, so that nothing
 * outlives the streams.
 *
 * One fiber per `Clock`, not per process: streams under a `TestClock` are timed by that
 * clock, as a fiber of their own would be.
 */
import { type Clock, Duration, Effect, type Fiber, FiberId, Runtime } from "effect"

/** One stream's deadlines, as the fiber sees them. */
export interface Deadline {
  /** When to look next, in the clock's milliseconds. */
  check: number
  /**
   * Looks at the deadlines at `now`: the next time to look, or, once one has passed, what to
   * do about it (the deadline is then dropped).
   */
  readonly due: (now: number) => number | Effect.Effect<void>
}

class Keeper {
  readonly deadlines = new Set<Deadline>()
  fiber: Fiber.RuntimeFiber<void> | undefined = undefined
  /** When the fiber wakes next. */
  until = Infinity
  /** Which fiber is the keeper's: one replaced (to wake sooner) stops at its next look. */
  generation = 0
  constructor(readonly clock: Clock.Clock) {}

  private readonly look = (generation: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (generation !== this.generation) return Effect.void
      const now = this.clock.unsafeCurrentTimeMillis()
      let next = Infinity
      const passed: Array<Effect.Effect<void>> = []
      for (const deadline of this.deadlines) {
        if (deadline.check <= now) {
          const again = deadline.due(now)
          if (typeof again !== "number") {
            this.deadlines.delete(deadline)
            passed.push(again)
            continue
          }
          deadline.check = again
        }
        if (deadline.check < next) next = deadline.check
      }
      // Each in a fiber of its own: one stream's finalizers must not hold up the others' limits.
      const act = passed.length === 0 ? Effect.void : Effect.forEach(passed, Effect.forkDaemon, { discard: true })
      if (next === Infinity) {
        // Nothing to wait for: this fiber ends here; the next deadline kept starts another.
        this.generation++
        this.fiber = undefined
        this.until = Infinity
        return act
      }
      this.until = next
      return Effect.zipRight(act, Effect.zipRight(this.clock.sleep(Duration.millis(next - now)), this.look(generation)))
    })

  start(runtime: Runtime.Runtime<never>): void {
    this.stop()
    // About to look at every deadline, those kept before its first look included: none of
    // them needs another fiber.
    this.until = -Infinity
    // Interruptible whatever the caller's region (a stream keeps its deadline while acquiring).
    this.fiber = Runtime.runFork(runtime)(Effect.interruptible(this.look(this.generation)))
  }

  stop(): void {
    const fiber = this.fiber
    this.generation++
    this.fiber = undefined
    this.until = Infinity
    if (fiber !== undefined) fiber.unsafeInterruptAsFork(FiberId.none)
  }
}

const keepers = new WeakMap<Clock.Clock, Keeper>()

/**
 * Keeps `deadline` on `clock` until it passes or the function returned is called. The keeping
 * fiber, when one must be started, is forked from the caller's context.
 */
export const keep = (clock: Clock.Clock, deadline: Deadline): Effect.Effect<() => void> =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    let keeper = keepers.get(clock)
    if (keeper === undefined) {
      keeper = new Keeper(clock)
      keepers.set(clock, keeper)
    }
    const owner = keeper
    owner.deadlines.add(deadline)
    // A deadline sooner than the fiber's next look needs a fiber that wakes for it.
    if (owner.fiber === undefined || deadline.check < owner.until) owner.start(runtime)
    return () => {
      if (owner.deadlines.delete(deadline) && owner.deadlines.size === 0) owner.stop()
    }
  })
