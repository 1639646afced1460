import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"

const script = new URL("../../src/bin/server.ts", import.meta.url).pathname

/** Starts the CLI, waits for its first stdout line, stops it with SIGTERM and reports how it went. */
const runCli = (args: ReadonlyArray<string>, probe: (url: string) => Promise<number>) =>
  Effect.async<{ line: string; status: number; code: number | null; signal: string | null }, Error>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let line: string | undefined
    let status = 0
    createInterface({ input: child.stdout }).once("line", (first) => {
      line = first
      const url = first.replace("listening on ", "")
      probe(url).then(
        (s) => {
          status = s
          child.kill("SIGTERM")
        },
        () => child.kill("SIGTERM")
      )
    })
    child.once("error", (e) => resume(Effect.fail(e)))
    child.once("exit", (code, signal) => resume(Effect.succeed({ line: line ?? "", status, code, signal })))
    return Effect.sync(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
  })

describe("effect-letta-server", () => {
  it.effect("prints the listening line, serves, and exits cleanly on SIGTERM", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["--port", "0", "--api-key", "k"], async (url) => {
        const denied = await fetch(`${url}/v1/runs/`)
        const allowed = await fetch(`${url}/v1/runs/`, { headers: { authorization: "Bearer k" } })
        return denied.status * 1000 + allowed.status
      })
      expect(result.line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
      expect(result.status).toBe(401200)
      expect(result.code).toBe(0)
    }))

  it.effect("takes the keepalive interval in seconds, like LETTA_KEEPALIVE_INTERVAL", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["--port", "0", "--keepalive-interval", "0.02"], async (url) => {
        const agent = await fetch(`${url}/v1/agents/`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}"
        }).then((r) => r.json() as Promise<{ id: string }>)
        const body = await fetch(`${url}/v1/agents/${agent.id}/messages/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: "hi /slow 150" })
        }).then((r) => r.text())
        // The initial ping plus keepalives in the 150 ms gaps between events (real time).
        return body.split("\"message_type\":\"ping\"").length - 1
      })
      expect(result.status).toBeGreaterThan(2)
      expect(result.code).toBe(0)
    }))

  it.effect("rejects bad arguments", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.async<{ code: number | null; stderr: string }>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, "--port", "nope"], {
          stdio: ["ignore", "ignore", "pipe"]
        })
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.once("exit", (code) => resume(Effect.succeed({ code, stderr })))
      })
      expect(exit.code).toBe(2)
      expect(exit.stderr).toContain("invalid --port: nope")
      const keepalive = yield* Effect.async<{ code: number | null; stderr: string }>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, "--keepalive-interval", "0"], {
          stdio: ["ignore", "ignore", "pipe"]
        })
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
        child.once("exit", (code) => resume(Effect.succeed({ code, stderr })))
      })
      expect(keepalive.code).toBe(2)
      expect(keepalive.stderr).toContain("invalid --keepalive-interval: 0")
    }))
})
