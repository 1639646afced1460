/**
 * The one fiber that keeps the time limits of every stream on a clock
 * (`src/internal/deadlines.ts`), under `TestClock`: each deadline looked at when it asked,
 * a sooner one kept later waking the fiber sooner, passed deadlines acted on in fibers of
 * their own, and no fiber left once nothing is kept.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Supervisor, TestClock } from "effect"
import { type Deadline, keep } from "../../src/internal/deadlines.js"

/** A deadline that passes at `at`, recording when it was looked at and when it passed. */
const passingAt = (at: number, log: Array<string>, name: string, act: Effect.Effect<void> = Effect.void): Deadline => ({
  check: at,
  due: (now) => {
    log.push(`${name} looked at ${now}`)
    return now < at ? at : Effect.zipRight(Effect.sync(() => log.push(`${name} passed at ${now}`)), act)
  }
})

/** Lets the fibers woken by the clock run. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/**
 * Every fiber the keeper forks from inside `effect`, and the effect's result. The clock is
 * adjusted first: `TestClock` forks a fiber to warn about a test that sleeps without
 * adjusting it, which would be counted too.
 */
const supervised = <A>(effect: Effect.Effect<A>) =>
  Effect.gen(function*() {
    yield* TestClock.adjust(0)
    const supervisor = yield* Supervisor.track
    const result = yield* Effect.supervised(effect, supervisor)
    return { supervisor, result }
  })

const alive = (supervisor: Supervisor.Supervisor<Array<Fiber.RuntimeFiber<unknown, unknown>>>) =>
  Effect.map(supervisor.value, (fibers) => fibers.length)

describe("deadlines", () => {
  it.effect("many deadlines, one fiber: each is looked at when it asks, in time order", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      const { supervisor } = yield* supervised(
        Effect.forEach([3000, 1000, 2000], (at, i) => keep(clock, passingAt(at, log, `d${i}`)))
      )
      yield* settle
      expect(yield* alive(supervisor)).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["d1 looked at 1000", "d1 passed at 1000"])
      yield* TestClock.adjust("2 seconds")
      yield* settle
      expect(log.slice(2).sort()).toEqual(["d0 looked at 3000", "d0 passed at 3000", "d2 looked at 2000", "d2 passed at 2000"])
      // Nothing left to keep: the fiber ended by itself.
      expect(yield* alive(supervisor)).toBe(0)
    }))

  it.effect("a deadline that is not due yet is looked at again when it says", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      let until = 1000
      // An idle limit moved on by activity: due at 1000, then at 2500.
      yield* keep(clock, {
        check: 1000,
        due: (now) => {
          log.push(`looked at ${now}`)
          return now < until ? until : Effect.sync(() => log.push(`passed at ${now}`))
        }
      })
      until = 2500
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["looked at 1000"])
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["looked at 1000"])
      yield* TestClock.adjust("500 millis")
      yield* settle
      expect(log).toEqual(["looked at 1000", "looked at 2500", "passed at 2500"])
    }))

  it.effect("a sooner deadline kept later wakes the fiber sooner", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      yield* keep(clock, passingAt(60_000, log, "late"))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* keep(clock, passingAt(2000, log, "soon"))
      yield* settle
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["soon looked at 2000", "soon passed at 2000"])
      yield* TestClock.adjust("58 seconds")
      yield* settle
      expect(log.slice(2)).toEqual(["late looked at 60000", "late passed at 60000"])
    }))

  it.effect("what a passed deadline does runs in a fiber of its own: one that hangs holds up no other", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      yield* keep(clock, passingAt(1000, log, "hangs", Effect.never))
      yield* keep(clock, passingAt(2000, log, "next"))
      yield* TestClock.adjust("2 seconds")
      yield* settle
      expect(log).toEqual(["hangs looked at 1000", "hangs passed at 1000", "next looked at 2000", "next passed at 2000"])
    }))

  it.effect("releasing the last deadline ends the fiber, even one kept from an uninterruptible region; releasing twice is harmless", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      // Kept as a stream keeps its deadline: while acquiring, where nothing is interruptible.
      const { result: releases, supervisor } = yield* supervised(
        Effect.uninterruptible(Effect.all([keep(clock, passingAt(5000, log, "a")), keep(clock, passingAt(6000, log, "b"))]))
      )
      yield* settle
      expect(yield* alive(supervisor)).toBe(1)
      releases[0]()
      releases[0]()
      yield* settle
      expect(yield* alive(supervisor)).toBe(1)
      releases[1]()
      yield* settle
      expect(yield* alive(supervisor)).toBe(0)
      yield* TestClock.adjust("10 seconds")
      yield* settle
      expect(log).toEqual([])
      // And a deadline kept afterwards gets a fiber again.
      yield* keep(clock, passingAt(11_000, log, "c"))
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["c looked at 11000", "c passed at 11000"])
    }))

  it.effect("each clock has its own fiber", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const log: Array<string> = []
      // A clock that never wakes anyone: its deadlines do not delay the test clock's.
      const frozen: Clock.Clock = { ...clock, sleep: () => Effect.never, unsafeCurrentTimeMillis: () => 0 }
      yield* keep(frozen, passingAt(1, log, "frozen"))
      yield* keep(clock, passingAt(1000, log, "test"))
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(log).toEqual(["test looked at 1000", "test passed at 1000"])
    }))
})
