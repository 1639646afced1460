/**
 * Waiting for runs: `runs.await` polling the embedded server's async runs on the TestClock,
 * outcomes judged by stop reason, time limits, interruption (and cancelling on it), and
 * `createAsyncAndAwait`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Logger, Schedule, Stream } from "effect"
import type { LettaError, Runs } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"
import { advance, driveUntilDone } from "../support/clock.js"
import { httpClients, serverAndClient, services } from "./harness.js"

const newAgent = Effect.flatMap(services, ({ client }) => client.agents.create({ name: "a" }))

/** How often the server has been asked for the run. */
const runReads = (runId: string) =>
  Effect.map(
    Effect.flatMap(LettaTestServer.LettaTestServer, (server) => server.requests),
    (requests) => requests.filter((r) => r.method === "GET" && r.path === `/v1/runs/${runId}`).length
  )

/** Starts an async run and forks a wait for it. */
const forkAwait = (input: string, options?: Parameters<typeof awaitOf>[1]) =>
  Effect.gen(function*() {
    const { client } = yield* services
    const agent = yield* newAgent
    const run = yield* client.agents.messages.createAsync(agent.id, { input })
    const fiber = yield* Effect.fork(awaitOf(run.id, options))
    return { agent, run, fiber, client }
  })
const awaitOf = (runId: string, options?: Runs.AwaitOptions) =>
  Effect.flatMap(services, ({ client }) => client.runs.await(runId, options))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

for (const http of httpClients) {
  describe(`runs.await over ${http.name}`, () => {
    it.effect("polls until the run completes: at once, then backing off", () =>
      Effect.gen(function*() {
        const { fiber, run } = yield* forkAwait("hello")
        yield* driveUntilDone(fiber)
        const done = yield* Fiber.join(fiber)
        expect([done.id, done.status, done.stop_reason]).toEqual([run.id, "completed", "end_turn"])
        // Created at first, done by the second read 250 ms later (the run takes 50 ms).
        expect(yield* runReads(run.id)).toBe(2)
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a failed run and a run that stopped on an error fail with RunFailedError carrying the run", () =>
      Effect.gen(function*() {
        const failed = yield* forkAwait("/fail it broke")
        yield* driveUntilDone(failed.fiber)
        const error = failureOf(yield* Fiber.await(failed.fiber)) as LettaError.RunFailedError
        expect([error._tag, error.run.id, error.run.status, error.run.stop_reason]).toEqual([
          "RunFailedError",
          failed.run.id,
          "failed",
          "error"
        ])
        expect(error.message).toContain("it broke")
        const llm = yield* forkAwait("/llm-error llm_rate_limit")
        yield* driveUntilDone(llm.fiber)
        expect((failureOf(yield* Fiber.await(llm.fiber)) as LettaError.RunFailedError).run.stop_reason).toBe("error")
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a completed run with an error stop reason is a failure: the stop reason decides, not the status", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const streamed = yield* Stream.runDrain(
          client.agents.messages.stream(agent.id, { input: "hi /end error-after-output" })
        ).pipe(Effect.flip)
        const runId = (streamed as LettaError.StreamError).runId!
        expect((yield* client.runs.retrieve(runId)).status).toBe("completed")
        const error = yield* client.runs.await(runId).pipe(Effect.flip)
        expect(error._tag).toBe("RunFailedError")
        const run = (error as LettaError.RunFailedError).run
        expect([run.status, run.stop_reason]).toEqual(["completed", "llm_api_error"])
      }).pipe(Effect.provide(serverAndClient(http.layer))))

    it.effect("a cancelled run fails with RunCancelledError", () =>
      Effect.gen(function*() {
        const { agent, client, fiber, run } = yield* forkAwait("slow")
        yield* advance("1 second")
        expect(fiber.unsafePoll()).toBeNull()
        yield* client.agents.messages.cancel(agent.id, { run_ids: [run.id] })
        yield* driveUntilDone(fiber)
        const error = failureOf(yield* Fiber.await(fiber)) as LettaError.RunCancelledError
        expect([error._tag, error.run.status, error.run.stop_reason]).toEqual(["RunCancelledError", "cancelled", "cancelled"])
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))

    it.effect("a timeout fails with TimeoutError and the polling stops; the run is left alone", () =>
      Effect.gen(function*() {
        const { client, fiber, run } = yield* forkAwait("slow", { timeout: "30 seconds", cancelOnInterrupt: true })
        yield* driveUntilDone(fiber)
        const error = failureOf(yield* Fiber.await(fiber)) as LettaError.TimeoutError
        expect([error._tag, error.limit, Duration.toSeconds(error.timeout), error.runId]).toEqual([
          "TimeoutError",
          "total",
          30,
          run.id
        ])
        const reads = yield* runReads(run.id)
        // 0, 0.25, 0.75, 1.75, 3.75, 7.75, then every 5 s: about a dozen reads in 30 s.
        expect(reads).toBeGreaterThan(8)
        expect(reads).toBeLessThan(14)
        yield* advance("10 minutes", "10 seconds")
        expect(yield* runReads(run.id)).toBe(reads)
        expect((yield* client.runs.retrieve(run.id)).status).toBe("created")
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))

    it.effect("a schedule that ends before the run does fails the wait with a TimeoutError", () =>
      Effect.gen(function*() {
        const { fiber, run } = yield* forkAwait("slow", { schedule: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))) })
        yield* driveUntilDone(fiber)
        const error = failureOf(yield* Fiber.await(fiber)) as LettaError.TimeoutError
        expect([error._tag, Duration.toSeconds(error.timeout)]).toEqual(["TimeoutError", 2])
        expect(yield* runReads(run.id)).toBe(3)
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))

    it.effect("interrupting the caller stops the polling, and leaves the run alone unless asked", () =>
      Effect.gen(function*() {
        const { client, fiber, run } = yield* forkAwait("slow")
        yield* advance("20 seconds")
        const reads = yield* runReads(run.id)
        expect(reads).toBeGreaterThan(3)
        yield* Fiber.interrupt(fiber)
        yield* advance("10 minutes", "10 seconds")
        expect(yield* runReads(run.id)).toBe(reads)
        const { server } = yield* services
        expect((yield* server.requests).some((r) => r.path.endsWith("/messages/cancel"))).toBe(false)
        expect((yield* client.runs.retrieve(run.id)).status).toBe("created")
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))

    it.effect("cancelOnInterrupt: interrupting the caller also cancels the run on the server", () =>
      Effect.gen(function*() {
        const { agent, client, fiber, run } = yield* forkAwait("slow", { cancelOnInterrupt: true })
        yield* advance("2 seconds")
        yield* Fiber.interrupt(fiber)
        const { server } = yield* services
        const cancels = (yield* server.requests).filter((r) => r.path === `/v1/agents/${agent.id}/messages/cancel`)
        expect(cancels.map((r) => JSON.parse(r.body))).toEqual([{ run_ids: [run.id] }])
        expect((yield* client.runs.retrieve(run.id)).status).toBe("cancelled")
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))

    it.effect("cancelOnInterrupt: a cancel that fails or hangs is logged, and the interruption still completes", () =>
      Effect.gen(function*() {
        const warnings: Array<string> = []
        const logger = Logger.make(({ cause, logLevel, message }) => {
          if (logLevel._tag === "Warning") warnings.push(`${String(message)} ${Cause.pretty(cause)}`)
        })
        yield* Effect.gen(function*() {
          const { server } = yield* services
          const failing = yield* forkAwait("slow", { cancelOnInterrupt: true })
          yield* server.injectFault(LettaTestServer.respond({
            path: `/v1/agents/${failing.agent.id}/messages/cancel`,
            status: 500,
            body: `{"detail": "An unknown error occurred"}`
          }))
          yield* advance("1 second")
          yield* Fiber.interrupt(failing.fiber)
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toContain(`could not cancel run ${failing.run.id}`)
          expect(warnings[0]).toContain("500")
          // A cancel that never answers is given up after Streaming.cancelTimeout (5 s).
          const hanging = yield* forkAwait("slow", { cancelOnInterrupt: true })
          yield* server.injectFault(LettaTestServer.hang({ path: `/v1/agents/${hanging.agent.id}/messages/cancel` }))
          yield* advance("1 second")
          const interrupting = yield* Effect.fork(Fiber.interrupt(hanging.fiber))
          yield* advance("4 seconds")
          expect(interrupting.unsafePoll()).toBeNull()
          yield* driveUntilDone(interrupting, "100 millis", "2 seconds")
          expect(warnings).toHaveLength(2)
          expect(warnings[1]).toContain(`could not cancel run ${hanging.run.id}`)
        }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      }).pipe(Effect.provide(serverAndClient(http.layer, { asyncRunDelay: "1 hour" }))))
  })

  describe(`agents.messages.createAsyncAndAwait over ${http.name}`, () => {
    it.effect("starts the run, waits for it, and returns it with its messages and usage", () =>
      Effect.gen(function*() {
        const { client } = yield* services
        const agent = yield* newAgent
        const fiber = yield* Effect.fork(client.agents.messages.createAsyncAndAwait(agent.id, { input: "later" }))
        yield* driveUntilDone(fiber)
        const { messages, run, usage } = yield* Fiber.join(fiber)
        expect([run.status, run.stop_reason, run.metadata?.run_type]).toEqual(["completed", "end_turn", "send_message_async"])
        expect(messages.map((m) => m.message_type)).toEqual(["user_message", "reasoning_message", "assistant_message"])
        expect(messages.every((m) => "run_id" in m && m.run_id === run.id)).toBe(true)
        const reply = messages[2]
        expect(reply.message_type === "assistant_message" && reply.content).toBe("You said: later")
        expect(usage.total_tokens).toBeGreaterThan(0)
        const failing = yield* Effect.fork(client.agents.messages.createAsyncAndAwait(agent.id, { input: "/fail" }))
        yield* driveUntilDone(failing)
        expect((failureOf(yield* Fiber.await(failing)) as LettaError.LettaError)._tag).toBe("RunFailedError")
      }).pipe(Effect.provide(serverAndClient(http.layer))))
  })
}
