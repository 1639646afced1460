/**
 * `npm run bench [-- throughput|memory] [--quick] [--only <text>]`: this library against
 * the official SDK (`@letta-ai/letta-client`) and a raw baseline (split on blank lines +
 * `JSON.parse`), every contender in its own `node` process reading the same bytes from the
 * same loopback server in the same run, so figures are ratios within one run.
 *
 * - throughput: events per second on one long stream (token and step mode) and on 200
 *   concurrent streams, as ratios to the raw baseline (`--only` picks workloads by name);
 * - memory: peak resident memory and throughput at 1,000 concurrent streams, as ratios to
 *   the SDK.
 *
 * Without a section name both run. Results also go to `.bench/results.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { memory, memoryTable } from "./memory.js"
import { throughput, throughputTable } from "./throughput.js"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined
const named = ["throughput", "memory"].filter((section) => args.includes(section))
const sections = named.length === 0 ? ["throughput", "memory"] : named

const results: Record<string, unknown> = {}
if (sections.includes("throughput")) {
  const rows = await throughput({ quick, only })
  results["throughput"] = rows
  console.log(`Throughput (ratios to raw):\n\n${throughputTable(rows)}\n`)
}
if (sections.includes("memory")) {
  const rows = await memory({ quick })
  results["memory"] = rows
  console.log(`Memory (ratios to the official SDK):\n\n${memoryTable(rows)}\n`)
}
console.log(`Node ${process.version}, ${quick ? "1 run" : "median of several runs"} per cell, ${new Date().toISOString()}`)
mkdirSync(".bench", { recursive: true })
writeFileSync(".bench/results.json", JSON.stringify(results, null, 2))
