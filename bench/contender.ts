/**
 * One benchmark contender, run in its own process so its memory is its own:
 * `contender.ts <name> <url> <streams>` loads only that contender's client, reads one short
 * warm-up stream (so every contender is measured with its code compiled, not while the JIT
 * is still at work), then `<streams>` concurrent streams from the benchmark server, and
 * prints a `Sample` as JSON for the measured part.
 */
import { GCProfiler } from "node:v8"
import type { Sample } from "./child.js"

const [name, url, streamsArg] = process.argv.slice(2)
const streams = Number(streamsArg)
// The server answers the warm-up agent with a short body.
const warmupAgentId = "agent-00000000-0000-4000-8000-00000000warm"
const measuredAgentId = "agent-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00"
let agentId = warmupAgentId

/** The baseline: fetch, split on blank lines, JSON.parse each `data:` payload. No validation. */
const raw = async (): Promise<number> => {
  const response = await fetch(`${url}/v1/agents/${agentId}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: "x", streaming: true })
  })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  let events = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    const blocks = buffer.split("\n\n")
    buffer = blocks.pop()!
    for (const block of blocks) {
      const data = block.slice(6)
      if (data !== "[DONE]") {
        JSON.parse(data)
        events++
      }
    }
  }
  return events
}

/**
 * The official SDK: its own SSE parser, JSON.parse, no validation. `inEffectApp` loads what
 * every Effect application has loaded anyway (`effect`, `@effect/platform` and its Node
 * HTTP clients), so that the comparison is the one an Effect developer makes.
 */
const official = async (inEffectApp = false): Promise<() => Promise<number>> => {
  if (inEffectApp) {
    await Promise.all([
      import("effect"),
      import("@effect/platform/FetchHttpClient"),
      import("@effect/platform-node/NodeHttpClient")
    ])
  }
  const { Letta } = await import("@letta-ai/letta-client")
  const client = new Letta({ baseURL: url, apiKey: "bench", maxRetries: 0 })
  return async () => {
    const stream = await client.agents.messages.create(agentId, {
      streaming: true,
      messages: [{ role: "user", content: "x" }]
    })
    let events = 0
    for await (const _ of stream) events++
    return events
  }
}

/** The app's HttpClient: `@effect/platform-node`'s undici client, or `@effect/platform`'s fetch. */
const httpClientLayer = async (transport: "undici" | "fetch") =>
  transport === "undici"
    ? (await import("@effect/platform-node/NodeHttpClient")).layerUndici
    : (await import("@effect/platform/FetchHttpClient")).layer

/** This library: typed, Schema-validated messages with the end-of-stream rules. */
const ours = async (transport: "undici" | "fetch"): Promise<(count: number) => Promise<number>> => {
  const [{ Effect, Layer, Stream }, { LettaClient }] = await Promise.all([import("effect"), import("effect-letta")])
  const http = await httpClientLayer(transport)
  return (count) =>
    Effect.runPromise(
      Effect.flatMap(LettaClient.LettaClient, (client) =>
        Effect.forEach(
          Array.from({ length: count }),
          () => Stream.runCount(client.agents.messages.stream(agentId, { input: "x" }, { includePings: true })),
          { concurrency: "unbounded" }
        )).pipe(
          Effect.map((counts) => counts.reduce((a, b) => a + b, 0)),
          Effect.provide(LettaClient.layer({ baseUrl: url }).pipe(Layer.provide(http)))
        )
    )
}

/**
 * The floor of any client built on Effect: `@effect/platform`'s HttpClient and Effect's
 * `Stream` reading the body, counting events by their blank lines, decoding nothing. With
 * `parse`, it also `JSON.parse`s each event, as the SDK does and as any client must before
 * it can hand an event on.
 */
const floor = (
  transport: "undici" | "fetch",
  parse = false
) =>
async (): Promise<(count: number) => Promise<number>> => {
  const [{ Effect, Stream }, HttpClient, HttpClientRequest] = await Promise.all([
    import("effect"),
    import("@effect/platform/HttpClient"),
    import("@effect/platform/HttpClientRequest")
  ])
  const http = await httpClientLayer(transport)
  const one = Effect.flatMap(HttpClient.HttpClient, (client) =>
    Effect.scoped(
      Effect.flatMap(
        HttpClient.withScope(client).execute(
          HttpClientRequest.post(`${url}/v1/agents/${agentId}/messages`).pipe(
            HttpClientRequest.bodyUnsafeJson({ input: "x", streaming: true })
          )
        ),
        (response) =>
          Effect.suspend(() => {
            const decoder = new TextDecoder()
            let previous = ""
            let separators = 0
            return Stream.runForEach(response.stream, (bytes) =>
              Effect.sync(() => {
                const text = previous + decoder.decode(bytes, { stream: true })
                let start = 0
                for (let i = text.indexOf("\n\n"); i !== -1; i = text.indexOf("\n\n", i + 2)) {
                  separators++
                  if (parse) {
                    const data = text.slice(start + 6, i)
                    if (data !== "[DONE]") JSON.parse(data)
                    start = i + 2
                  }
                }
                previous = parse ? text.slice(start) : text.endsWith("\n") ? "\n" : ""
              })).pipe(Effect.map(() => separators - 1))
          })
      )
    ))
  return (count) =>
    Effect.runPromise(
      Effect.forEach(Array.from({ length: count }), () => one, { concurrency: "unbounded" }).pipe(
        Effect.map((counts) => counts.reduce((a, b) => a + b, 0)),
        Effect.provide(http)
      )
    )
}

/** Runs `count` streams of a promise-based contender at once. */
const concurrently = (one: () => Promise<number>) => async (count: number) =>
  (await Promise.all(Array.from({ length: count }, one))).reduce((a, b) => a + b, 0)

const contenders: Record<string, () => Promise<(count: number) => Promise<number>>> = {
  raw: async () => concurrently(raw),
  "@letta-ai/letta-client": async () => concurrently(await official()),
  "@letta-ai/letta-client in an Effect app": async () => concurrently(await official(true)),
  "effect-letta (undici)": () => ours("undici"),
  "effect-letta (fetch)": () => ours("fetch"),
  "Effect HttpClient floor (undici)": floor("undici"),
  "Effect HttpClient floor (fetch)": floor("fetch"),
  "Effect HttpClient floor + JSON.parse (undici)": floor("undici", true)
}

const load = contenders[name]
if (load === undefined) throw new Error(`unknown contender ${name}`)
const run = await load()
await run(1)
agentId = measuredAgentId

// Sampled, so the peak of the measured part is seen apart from start-up.
const rssAtStart = process.memoryUsage.rss()
const peak = { rss: rssAtStart, heapUsed: 0, arrayBuffers: 0 }
const sample = () => {
  const usage = process.memoryUsage()
  peak.rss = Math.max(peak.rss, usage.rss)
  peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed)
  peak.arrayBuffers = Math.max(peak.arrayBuffers, usage.arrayBuffers)
}
const sampler = setInterval(sample, 10)
// What was allocated, from the heap before and after each collection: the garbage that
// drives the peak, measured without depending on when V8 chose to collect.
const gcProfiler = new GCProfiler()
const usedAtStart = process.memoryUsage().heapUsed
gcProfiler.start()
const started = performance.now()
const events = await run(streams)
const ms = performance.now() - started
const usedAtEnd = process.memoryUsage().heapUsed
const collections = gcProfiler.stop()?.statistics ?? []
let allocated = 0
let after = usedAtStart
for (const gc of collections) {
  allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - after)
  after = gc.afterGC.heapStatistics.usedHeapSize
}
allocated += Math.max(0, usedAtEnd - after)
sample()
clearInterval(sampler)
const mb = (bytes: number) => bytes / 1024 / 1024
process.stdout.write(
  JSON.stringify(
    {
      events,
      ms,
      peakRssMb: mb(peak.rss),
      rssAtStartMb: mb(rssAtStart),
      peakHeapMb: mb(peak.heapUsed),
      peakBuffersMb: mb(peak.arrayBuffers),
      allocatedMb: mb(allocated),
      collections: collections.length
    } satisfies Sample
  ) + "\n"
)
