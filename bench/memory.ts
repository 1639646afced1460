/**
 * Memory at 1,000 concurrent streams: peak resident memory and throughput of this library
 * (over undici and over fetch) and of the official SDK, each contender in its own process
 * reading the same bodies from the same server in the same run; ratios are to the SDK.
 * Peak RSS is sampled every 10 ms while the streams run; "at start" is the process with its
 * client loaded and a warm-up stream read, so the growth is what the streams cost.
 */
import { measure, median, type Sample } from "./child.js"
import { body, eventsIn } from "./frames.js"
import type { Pace } from "./server.js"

interface Workload {
  readonly name: string
  readonly frames: number
  readonly streams: number
  readonly pace?: Pace | undefined
}

const sdk = "@letta-ai/letta-client"
/**
 * Ratios are to the SDK alone. The SDK is measured again with Effect loaded (its modules
 * take some 20 MB of heap, which V8 sizes the rest of the heap by), as it would run in an
 * Effect application. The last three are references, not clients: `@effect/platform`'s
 * HttpClient and Effect's `Stream` reading the same bodies and decoding nothing, i.e. what
 * any client built on them costs before it does anything, over each HTTP client; and the
 * same over undici with a `JSON.parse` of every event, the least any client does with one.
 */
const contenders = [
  sdk,
  "effect-letta (undici)",
  "effect-letta (fetch)",
  "@letta-ai/letta-client in an Effect app",
  "Effect HttpClient floor (undici)",
  "Effect HttpClient floor (fetch)",
  "Effect HttpClient floor + JSON.parse (undici)"
]

/** One row of the memory table: medians over the runs. */
export interface MemoryRow {
  readonly workload: string
  readonly contender: string
  readonly eventsPerSecond: number
  readonly peakRssMb: number
  readonly rssAtStartMb: number
  readonly peakHeapMb: number
  readonly allocatedMb: number
  readonly rateRatio: number
  readonly rssRatio: number
  readonly growthRatio: number
}

/** Runs both memory workloads, `runs` times each, contenders interleaved. */
export const memory = async (options: { readonly quick: boolean }): Promise<ReadonlyArray<MemoryRow>> => {
  // Peak RSS varies by ±10% from run to run on a busy machine: the median of five.
  const runs = options.quick ? 1 : 5
  const streams = options.quick ? 200 : 1_000
  const workloads: ReadonlyArray<Workload> = [
    // As fast as the server writes: the clients' buffering and garbage under full load.
    { name: `${streams} concurrent streams × 1k frames`, frames: 1_000, streams },
    // Paced like a model (a frame every 20 ms): every stream open for about 2 s at once,
    // so the cost of an open stream dominates.
    { name: `${streams} concurrent streams × 100 frames, paced`, frames: 100, streams, pace: { everyMs: 20 } }
  ]
  const rows: Array<MemoryRow> = []
  for (const workload of workloads) {
    const samples = await measure({
      contenders,
      payload: body("token", workload.frames),
      warmup: body("token", 5_000),
      pace: workload.pace,
      streams: workload.streams,
      expected: eventsIn(workload.frames) * workload.streams,
      runs
    })
    const of = (contender: string, f: (s: Sample) => number) => median(samples.get(contender)!.map(f))
    const rate = (s: Sample) => s.events / (s.ms / 1000)
    const growth = (s: Sample) => s.peakRssMb - s.rssAtStartMb
    for (const contender of contenders) {
      rows.push({
        workload: workload.name,
        contender,
        eventsPerSecond: of(contender, rate),
        peakRssMb: of(contender, (s) => s.peakRssMb),
        rssAtStartMb: of(contender, (s) => s.rssAtStartMb),
        peakHeapMb: of(contender, (s) => s.peakHeapMb),
        allocatedMb: of(contender, (s) => s.allocatedMb),
        rateRatio: of(contender, rate) / of(sdk, rate),
        rssRatio: of(contender, (s) => s.peakRssMb) / of(sdk, (s) => s.peakRssMb),
        growthRatio: of(contender, growth) / of(sdk, growth)
      })
    }
  }
  return rows
}

/** The memory table, in Markdown. */
export const memoryTable = (rows: ReadonlyArray<MemoryRow>): string =>
  [
    `| Workload | Contender | Events/s | × SDK | Peak RSS (MB) | × SDK | RSS at start (MB) | Growth × SDK | Peak heap (MB) | Allocated (MB) |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    ...rows.map((r) =>
      `| ${r.workload} | ${r.contender} | ${Math.round(r.eventsPerSecond).toLocaleString("en-US")} | ${
        r.rateRatio.toFixed(2)
      } | ${r.peakRssMb.toFixed(0)} | ${r.rssRatio.toFixed(2)} | ${r.rssAtStartMb.toFixed(0)} | ${
        r.growthRatio.toFixed(2)
      } | ${r.peakHeapMb.toFixed(0)} | ${r.allocatedMb.toFixed(0)} |`
    )
  ].join("\n")
