#!/usr/bin/env node
/**
 * `effect-letta-server --port N [--api-key KEY] [--keepalive-interval SECONDS]`:
 * runs the Letta-compatible test server on 127.0.0.1 until SIGINT or SIGTERM.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Exit, Fiber, Option, Redacted } from "effect"
import { LettaTestServer } from "../testing/index.js"

const usage = "usage: effect-letta-server [--port N] [--api-key KEY] [--keepalive-interval SECONDS]\n"

interface Args {
  readonly port: number
  readonly apiKey: string | undefined
  readonly keepaliveSeconds: number | undefined
}

const parseArgs = (argv: ReadonlyArray<string>): Args | string => {
  let port = 8283
  let apiKey: string | undefined
  let keepaliveSeconds: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case "--port": {
        const text = value()
        const n = text === undefined ? Number.NaN : Number(text)
        if (!Number.isInteger(n) || n < 0 || n > 65535) return `invalid --port: ${text ?? "(missing)"}\n`
        port = n
        break
      }
      case "--api-key": {
        apiKey = value()
        if (apiKey === undefined || apiKey === "") return "missing value for --api-key\n"
        break
      }
      case "--keepalive-interval": {
        // Like LETTA_KEEPALIVE_INTERVAL: seconds, fractions allowed.
        const text = value()
        const n = text === undefined || text.trim() === "" ? Number.NaN : Number(text)
        if (!Number.isFinite(n) || n <= 0) return `invalid --keepalive-interval: ${text ?? "(missing)"}\n`
        keepaliveSeconds = n
        break
      }
      case "-h":
      case "--help":
        return ""
      default:
        return `unknown argument: ${arg}\n`
    }
  }
  return { port, apiKey, keepaliveSeconds }
}

const args = parseArgs(process.argv.slice(2))
if (typeof args === "string") {
  process.stderr.write(args + usage)
  process.exit(args === "" ? 0 : 2)
}

const program = Effect.scoped(
  Effect.gen(function*() {
    const server = yield* LettaTestServer.make({
      port: args.port,
      apiKey: args.apiKey === undefined ? undefined : Redacted.make(args.apiKey),
      keepaliveInterval: args.keepaliveSeconds === undefined ? undefined : Duration.seconds(args.keepaliveSeconds)
    })
    yield* Effect.sync(() => process.stdout.write(`listening on ${server.url}\n`))
    return yield* Effect.never
  })
)

const fiber = Effect.runFork(program)

const stop = () => {
  process.off("SIGINT", stop)
  process.off("SIGTERM", stop)
  // Interrupting closes the scope: the server stops listening and drops its sockets.
  Effect.runPromise(Fiber.interrupt(fiber)).then(
    () => process.exit(0),
    () => process.exit(1)
  )
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)

fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) {
    const failure = Cause.failureOption(exit.cause)
    const reason = Option.isSome(failure) ? failure.value.message : Cause.pretty(exit.cause)
    process.stderr.write(`effect-letta-server: ${reason}\n`)
    process.exit(1)
  }
})
