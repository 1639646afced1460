/**
 * Driving the TestClock while real I/O happens: a fiber that sleeps on the TestClock between
 * HTTP requests needs the clock moved on after each request has really gone out.
 */
import { Duration, Effect, type Fiber, TestClock } from "effect"

/** One turn of the event loop in real time, so sockets can deliver what was written. */
export const realTick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/** Moves the TestClock on by `total`, `step` at a time, letting I/O catch up in between. */
export const advance = (total: Duration.DurationInput, step: Duration.DurationInput = "100 millis") =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(total) / Duration.toMillis(step))
    for (let i = 0; i < steps; i++) {
      for (let j = 0; j < 3; j++) yield* realTick
      yield* TestClock.adjust(step)
    }
  })

/** Moves the TestClock on, `step` at a time, until `fiber` is done; dies after `limit`. */
export const driveUntilDone = <A, E>(
  fiber: Fiber.RuntimeFiber<A, E>,
  step: Duration.DurationInput = "100 millis",
  limit: Duration.DurationInput = "2 hours"
) =>
  Effect.gen(function*() {
    const steps = Math.ceil(Duration.toMillis(limit) / Duration.toMillis(step))
    for (let i = 0; i < steps && fiber.unsafePoll() === null; i++) {
      for (let j = 0; j < 3 && fiber.unsafePoll() === null; j++) yield* realTick
      if (fiber.unsafePoll() === null) yield* TestClock.adjust(step)
    }
    if (fiber.unsafePoll() === null) return yield* Effect.dieMessage(`the fiber was still running after ${Duration.format(limit)}`)
  })
