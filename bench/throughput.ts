/**
 * Throughput: events per second (and peak memory) of each contender reading the same
 * bodies, each workload after a warm-up stream, as ratios to the raw baseline of the same
 * run.
 */
import { measure, median } from "./child.js"
import { body, eventsIn } from "./frames.js"

interface Workload {
  readonly name: string
  readonly mode: "token" | "step"
  readonly frames: number
  readonly streams: number
}

const contenders = ["raw", "@letta-ai/letta-client", "effect-letta (undici)", "effect-letta (fetch)"]

/** One row of the throughput table. */
export interface ThroughputRow {
  readonly workload: string
  readonly contender: string
  readonly eventsPerSecond: number
  readonly peakRssMb: number
  readonly ratio: number
  readonly rssRatio: number
}

/** Runs the workloads whose name contains `only` (all by default), `runs` times each. */
export const throughput = async (options: {
  readonly quick: boolean
  readonly only: string | undefined
}): Promise<ReadonlyArray<ThroughputRow>> => {
  const { only, quick } = options
  const runs = quick ? 1 : 5
  const workloads: ReadonlyArray<Workload> = [
    { name: "token mode: 1 stream × 200k frames (~320 B)", mode: "token", frames: quick ? 20_000 : 200_000, streams: 1 },
    { name: "step mode: 1 stream × 20k frames (~2 KB)", mode: "step", frames: quick ? 2_000 : 20_000, streams: 1 },
    { name: "200 concurrent streams × 1k frames", mode: "token", frames: 1_000, streams: quick ? 20 : 200 }
  ]
  const results: Array<ThroughputRow> = []
  for (const workload of workloads.filter((w) => only === undefined || w.name.includes(only))) {
    const samples = await measure({
      contenders,
      payload: body(workload.mode, workload.frames),
      warmup: body(workload.mode, 5_000),
      streams: workload.streams,
      expected: eventsIn(workload.frames) * workload.streams,
      runs
    })
    const rate = (contender: string) => median(samples.get(contender)!.map((s) => s.events / (s.ms / 1000)))
    const rss = (contender: string) => median(samples.get(contender)!.map((s) => s.peakRssMb))
    for (const contender of contenders) {
      results.push({
        workload: workload.name,
        contender,
        eventsPerSecond: rate(contender),
        peakRssMb: rss(contender),
        ratio: rate(contender) / rate("raw"),
        rssRatio: rss(contender) / rss("raw")
      })
    }
  }
  return results
}

/** The throughput table, in Markdown. */
export const throughputTable = (rows: ReadonlyArray<ThroughputRow>): string =>
  [
    `| Workload | Contender | Events/s | × raw | Peak RSS (MB) | RSS × raw |`,
    `| --- | --- | ---: | ---: | ---: | ---: |`,
    ...rows.map((r) =>
      `| ${r.workload} | ${r.contender} | ${Math.round(r.eventsPerSecond).toLocaleString("en-US")} | ${
        r.ratio.toFixed(2)
      } | ${r.peakRssMb.toFixed(0)} | ${r.rssRatio.toFixed(2)} |`
    )
  ].join("\n")
