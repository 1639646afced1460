/**
 * Running one contender in its own Node process, so that its memory is its own, and what
 * it reports back.
 */
import { spawn } from "node:child_process"
import { compileContender } from "./compile.js"
import { type Pace, serve } from "./server.js"

/** What a contender reports for its measured part. */
export interface Sample {
  readonly events: number
  readonly ms: number
  /**
   * The peak resident set sampled every 10 ms while the streams ran. Not
   * `resourceUsage().maxRSS`: Linux carries it over from the parent through fork and exec,
   * so a child would report the bench runner's own peak whenever that is higher.
   */
  readonly peakRssMb: number
  /** the resident set when the streams started: modules loaded, warm-up stream read */
  readonly rssAtStartMb: number
  readonly peakHeapMb: number
  /** Buffers and other ArrayBuffers (`memoryUsage().arrayBuffers`) */
  readonly peakBuffersMb: number
  /** JavaScript heap allocated while the streams ran, garbage included */
  readonly allocatedMb: number
  /** Garbage collections while the streams ran */
  readonly collections: number
}

let contenderScript: string | undefined

/** Runs `name` against `url` with `streams` concurrent streams in a fresh `node` process. */
export const runContender = (name: string, url: string, streams: number) =>
  new Promise<Sample>((resolve, reject) => {
    contenderScript ??= compileContender()
    const child = spawn(process.execPath, [contenderScript, name, url, String(streams)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as Sample) : reject(new Error(`${name} exited with ${code}`))
    )
  })

/**
 * Serves `payload` (and `warmup` to the warm-up stream) and runs every contender `runs`
 * times with `streams` streams, interleaved so that a slow moment of the machine does not
 * fall on one contender only; each must see `expected` events.
 */
export const measure = async (options: {
  readonly contenders: ReadonlyArray<string>
  readonly payload: Buffer
  readonly warmup: Buffer
  readonly pace?: Pace | undefined
  readonly streams: number
  readonly expected: number
  readonly runs: number
}): Promise<ReadonlyMap<string, ReadonlyArray<Sample>>> => {
  const { contenders, expected, payload, streams, warmup } = options
  const server = await serve((path) => (path.includes("warm") ? warmup : payload), options.pace)
  const samples = new Map<string, Array<Sample>>(contenders.map((c) => [c, []]))
  try {
    for (let run = 0; run < options.runs; run++) {
      for (const contender of contenders) {
        const sample = await runContender(contender, server.url, streams)
        if (sample.events !== expected) throw new Error(`${contender} saw ${sample.events} events, expected ${expected}`)
        samples.get(contender)!.push(sample)
      }
    }
  } finally {
    await server.close()
  }
  return samples
}

/** The middle value (the upper one of an even count). */
export const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
