/**
 * `npm run bench`: SSE throughput and peak memory of this library against the official SDK
 * (`@letta-ai/letta-client`) and a raw baseline (split on blank lines + `JSON.parse`), all
 * reading the same bytes from the same loopback server in the same run. Each contender runs
 * in its own process and reads a short warm-up stream before it is timed; each measurement
 * is the median of several runs. Figures are reported as ratios to the raw baseline of the
 * same run.
 */
import { spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { body, eventsIn } from "./frames.js"
import { serve } from "./server.js"

interface Workload {
  readonly name: string
  readonly mode: "token" | "step"
  readonly frames: number
  readonly streams: number
}

const quick = process.argv.includes("--quick")
// `--only <text>` runs the workloads whose name contains it.
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined
const allWorkloads: ReadonlyArray<Workload> = [
  { name: "token mode: 1 stream × 200k frames (~320 B)", mode: "token", frames: quick ? 20_000 : 200_000, streams: 1 },
  { name: "step mode: 1 stream × 20k frames (~2 KB)", mode: "step", frames: quick ? 2_000 : 20_000, streams: 1 },
  { name: "200 concurrent streams × 1k frames", mode: "token", frames: 1_000, streams: quick ? 20 : 200 }
]
const workloads = allWorkloads.filter((workload) => only === undefined || workload.name.includes(only))
const contenders = ["raw", "@letta-ai/letta-client", "effect-letta (undici)", "effect-letta (fetch)"]
const runs = quick ? 1 : 5

interface Sample {
  readonly events: number
  readonly ms: number
  readonly maxRssMb: number
}

const contenderScript = fileURLToPath(new URL("./contender.ts", import.meta.url))

const runContender = (name: string, url: string, streams: number) =>
  new Promise<Sample>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", contenderScript, name, url, String(streams)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as Sample) : reject(new Error(`${name} exited with ${code}`))
    )
  })

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const results: Array<{
  workload: string
  contender: string
  eventsPerSecond: number
  peakRssMb: number
  ratio: number
  rssRatio: number
}> = []

for (const workload of workloads) {
  const payload = body(workload.mode, workload.frames)
  const warmup = body(workload.mode, 5_000)
  const server = await serve((path) => (path.includes("warm") ? warmup : payload))
  const expected = eventsIn(workload.frames) * workload.streams
  const samples = new Map<string, Array<Sample>>(contenders.map((c) => [c, []]))
  // Interleaved, so a slow moment of the machine does not fall on one contender only.
  for (let run = 0; run < runs; run++) {
    for (const contender of contenders) {
      const sample = await runContender(contender, server.url, workload.streams)
      if (sample.events !== expected) throw new Error(`${contender} saw ${sample.events} events, expected ${expected}`)
      samples.get(contender)!.push(sample)
    }
  }
  await server.close()
  const rate = (contender: string) => median(samples.get(contender)!.map((s) => s.events / (s.ms / 1000)))
  const rss = (contender: string) => Math.max(...samples.get(contender)!.map((s) => s.maxRssMb))
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

const lines = [
  `| Workload | Contender | Events/s | × raw | Peak RSS (MB) | RSS × raw |`,
  `| --- | --- | ---: | ---: | ---: | ---: |`,
  ...results.map((r) =>
    `| ${r.workload} | ${r.contender} | ${Math.round(r.eventsPerSecond).toLocaleString("en-US")} | ${
      r.ratio.toFixed(2)
    } | ${r.peakRssMb.toFixed(0)} | ${r.rssRatio.toFixed(2)} |`
  )
]
console.log(lines.join("\n"))
console.log(`\nNode ${process.version}, ${runs} run(s) per cell (median), ${new Date().toISOString()}`)
mkdirSync(".bench", { recursive: true })
writeFileSync(".bench/results.json", JSON.stringify(results, null, 2))
