/**
 * The interrupted workloads of the scale test: what each one runs against the embedded
 * server, and where its consumer is stopped. Drawn from a seeded PRNG, so a failing run can
 * be repeated exactly (`SCALE_SEED`).
 */
import { Cause, Deferred, Effect, Exit, Fiber, Option, Schedule, Schema, Stream } from "effect"
import { ClientTools, LettaClient, type LettaError } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

/** A small seeded PRNG (mulberry32): the same seed draws the same scenarios. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** uniform in [lo, hi] */
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p
  }
}
export type Prng = ReturnType<typeof prng>

/** Where the consumer stops. */
export type Stop =
  /** interrupt the consuming fiber once it has seen `events` events (polls, for `runs.await`) */
  | { readonly _tag: "AfterEvents"; readonly events: number }
  /** `Stream.take`: the consumer has what it wants and ends the stream itself */
  | { readonly _tag: "Take"; readonly events: number }
  /** interrupt the consuming fiber after `millis` of real time, wherever it is */
  | { readonly _tag: "AfterMillis"; readonly millis: number }

/** What the scenarios of one round share on the server. */
export interface Targets {
  /** streams and async runs go here */
  readonly agentId: string
  /** a `hang` fault holds every send to this agent without an answer */
  readonly hangingAgentId: string
  /** and to this conversation */
  readonly hangingConversationId: string
  /** the round's server, for faults aimed at one scenario */
  readonly server: LettaTestServer.Service
}

/**
 * The kinds of interrupted work. Each is drawn equally often.
 *
 */
export const kinds = [
  "agent-stream",
  "conversation-stream",
  "mid-slow",
  "before-headers",
  "resume-after-cut",
  "retry-wait",
  "idle-timeout",
  "await-mid-poll",
  "tool-loop"
] as const
export type Kind = typeof kinds[number]

/** One drawn scenario, ready to run: `run` is the consumer, `tick` counts its events. */
export interface Scenario {
  readonly kind: Kind
  readonly stop: Stop
  readonly run: (tick: () => void) => Effect.Effect<unknown, LettaError.LettaError>
  /** failures that are a normal ending for it (a time limit it sets), not a bug */
  readonly expected?: ReadonlyArray<LettaError.LettaError["_tag"]> | undefined
}

/** Consumes `stream`, counting events; `Take` ends it from the consumer's side. */
const consume = <A>(stream: Stream.Stream<A, LettaError.LettaError>, stop: Stop) => (tick: () => void) =>
  Stream.runForEach(stop._tag === "Take" ? Stream.take(stream, stop.events) : stream, () => Effect.sync(tick))

/**
 * Draws the next scenario and makes what it needs first (a conversation, an async run),
 * which is not interrupted: only the consumer is.
 */
export const prepare = (
  client: LettaClient.Service,
  targets: Targets,
  rng: Prng
): Effect.Effect<Scenario, LettaError.LettaError> =>
  Effect.gen(function*() {
    const kind = rng.pick(kinds)
    const tokens = rng.chance(0.5)
    const options = { includePings: rng.chance(0.3), cancelOnInterrupt: rng.chance(0.3) }
    // Step mode delivers about 4 events, token mode about 13 (pings not counted).
    const length = tokens ? 14 : 5
    const eventStop = (): Stop =>
      rng.chance(0.5)
        ? { _tag: "AfterEvents", events: rng.int(1, length + 1) }
        : { _tag: "Take", events: rng.int(1, length + 1) }
    /** A send to the agent, or to a new conversation of it (to the hanging ones when `hanging`). */
    const open = (to: "agent" | "conversation", input: string, background: boolean, hanging = false) =>
      Effect.gen(function*() {
        const body = { input, stream_tokens: tokens, background }
        if (to === "agent") {
          return client.agents.messages.stream(hanging ? targets.hangingAgentId : targets.agentId, body, options)
        }
        const conversationId = hanging
          ? targets.hangingConversationId
          : (yield* client.conversations.create(targets.agentId)).id
        return client.conversations.messages.stream(conversationId, body, options)
      })
    /** As `open`, to the agent or its conversation half the time each. */
    const send = (input: string, background: boolean, hanging = false) =>
      Effect.suspend(() => open(rng.chance(0.5) ? "agent" : "conversation", input, background, hanging))

    switch (kind) {
      case "agent-stream":
      case "conversation-stream": {
        const stop = eventStop()
        const to = kind === "agent-stream" ? "agent" : "conversation"
        return { kind, stop, run: consume(yield* open(to, "hello", rng.chance(0.5)), stop) }
      }
      case "mid-slow": {
        // The server waits `slow` ms before each event: stopped while it waits, or reads.
        const slow = rng.int(5, 25)
        const stop: Stop = { _tag: "AfterMillis", millis: rng.int(0, slow * length) }
        return { kind, stop, run: consume(yield* send(`/slow ${slow} hello`, rng.chance(0.5)), stop) }
      }
      case "before-headers": {
        // The server holds the request: stopped while connecting, sending, or waiting for headers.
        const stop: Stop = { _tag: "AfterMillis", millis: rng.int(0, 30) }
        return { kind, stop, run: consume(yield* send("hello", rng.chance(0.5), true), stop) }
      }
      case "resume-after-cut": {
        // The first connection drops after `cut` events (the initial ping included); the run
        // goes on slowly, and the client resumes it after a backoff of about 250 ms. Stopped
        // on the resumed connection (after `cut` events delivered), or at a random time: before
        // the cut, during the backoff, or while resuming.
        const cut = rng.int(1, 3)
        const slow = rng.int(5, 15)
        const stop: Stop = rng.chance(0.5)
          ? { _tag: "AfterEvents", events: rng.int(cut, cut + 4) }
          : { _tag: "AfterMillis", millis: rng.int(0, cut * slow + 600) }
        return { kind, stop, run: consume(yield* send(`/cut ${cut} /slow ${slow} hello`, true), stop) }
      }
      case "retry-wait": {
        // The send's first answer is a 503; a background send to a conversation is
        // idempotent (the server deduplicates it by otid), so it is sent again after about
        // 500 ms. Stopped mostly during that wait.
        const conversation = yield* client.conversations.create(targets.agentId)
        const path = `/v1/conversations/${conversation.id}/messages`
        yield* targets.server.injectFault(LettaTestServer.serverErrors({ path, status: 503, times: 1 }))
        const stop: Stop = { _tag: "AfterMillis", millis: rng.int(0, 700) }
        const stream = client.conversations.messages.stream(
          conversation.id,
          { input: "hello", stream_tokens: tokens, background: true },
          options
        )
        return { kind, stop, run: consume(stream, stop) }
      }
      case "idle-timeout": {
        // Events 250 ms apart against a 50 ms idle limit: the stream's own watchdog aborts
        // the request (a background one is not resumed here), unless interrupted first. The
        // range is wide because under load the headers alone can take a few hundred ms.
        const stop: Stop = { _tag: "AfterMillis", millis: rng.int(0, 1000) }
        const stream = client.agents.messages.stream(
          targets.agentId,
          { input: "/slow 250 hello", stream_tokens: tokens, background: rng.chance(0.5) },
          { ...options, resume: false, timeouts: { idle: "50 millis" } }
        )
        return { kind, stop, run: consume(stream, stop), expected: ["TimeoutError"] }
      }
      case "await-mid-poll": {
        // The server's async runs never finish within the test (`asyncRunDelay`), so the
        // wait is always stopped while polling: after a few polls, between two, or by its
        // own time limit.
        const run = yield* client.agents.messages.createAsync(targets.agentId, { input: "hello" })
        const every = rng.int(2, 10)
        const stop: Stop = rng.chance(0.5)
          ? { _tag: "AfterEvents", events: rng.int(1, 5) }
          : { _tag: "AfterMillis", millis: rng.int(0, every * 5) }
        return {
          kind,
          stop,
          run: (tick) =>
            client.runs.await(run.id, {
              schedule: Schedule.spaced(`${every} millis`).pipe(Schedule.tapInput(() => Effect.sync(tick))),
              cancelOnInterrupt: options.cancelOnInterrupt,
              timeout: rng.chance(0.3) ? `${rng.int(5, every * 5)} millis` : undefined
            }),
          expected: ["TimeoutError"]
        }
      }
      case "tool-loop": {
        // Three rounds of a client tool whose handler takes a few ms, in a conversation of
        // its own (an interrupted loop leaves it waiting for the tool's result, which must
        // not block the other scenarios' sends): stopped mid-round, mid-handler or between.
        const conversation = yield* client.conversations.create(targets.agentId)
        const handlerMillis = rng.int(0, 20)
        const tool = ClientTools.make("calculator", {
          parameters: Schema.Struct({}),
          handler: () => Effect.as(Effect.sleep(`${handlerMillis} millis`), 1)
        })
        const stop: Stop = rng.chance(0.5)
          ? { _tag: "AfterEvents", events: rng.int(1, 3 * length) }
          : { _tag: "AfterMillis", millis: rng.int(0, 3 * handlerMillis + 200) }
        const loop = ClientTools.stream(
          { conversationId: conversation.id },
          { input: "/tool calculator {} /rounds 3", stream_tokens: tokens, background: rng.chance(0.5) },
          { ...options, toolkit: ClientTools.toolkit(tool) }
        ).pipe(Stream.provideService(LettaClient.LettaClient, client))
        return { kind, stop, run: consume(loop, stop) }
      }
    }
  })

/** How a scenario ended: `ended` by a failure it expects, `failed` by any other. */
export type Outcome = "interrupted" | "completed" | `ended: ${string}` | `failed: ${string}`

/**
 * Runs the scenario's consumer in a fiber and stops it where the scenario says: its `Take`
 * or its end, whichever comes first, or interruption (which waits for the fiber's
 * finalizers: closing the response, cancelling the run).
 */
export const interrupt = (scenario: Scenario): Effect.Effect<Outcome> =>
  Effect.gen(function*() {
    const reached = yield* Deferred.make<void>()
    const { stop } = scenario
    let seen = 0
    const tick = () => {
      seen++
      if (stop._tag === "AfterEvents" && seen === stop.events) Deferred.unsafeDone(reached, Exit.void)
    }
    const fiber = yield* Effect.fork(scenario.run(tick))
    const trigger = stop._tag === "AfterMillis"
      ? Effect.sleep(`${stop.millis} millis`)
      : stop._tag === "AfterEvents"
      ? Deferred.await(reached)
      : Effect.never
    yield* Effect.raceFirst(trigger, Fiber.await(fiber))
    const exit = yield* Fiber.interrupt(fiber)
    if (Exit.isSuccess(exit)) return "completed" as const
    // A failure counts even when the cause also holds the interruption.
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) {
      const tag = failure.value._tag
      return scenario.expected?.includes(tag) ? `ended: ${tag}` as const : `failed: ${tag}` as const
    }
    if (Cause.isInterruptedOnly(exit.cause)) return "interrupted" as const
    return `failed: ${Cause.pretty(exit.cause).split("\n")[0]}` as const
  })
