/**
 * Every example runs, offline, against the embedded server: the README's first command
 * must work on a fresh machine.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

/**
 * Runs an example to its end. `stdin` is written to it, and its input then ends, unless
 * `react` drives it instead: called with the output so far whenever more arrives.
 */
const runExample = (
  file: string,
  options: {
    readonly stdin?: string
    readonly react?: (stdout: string, child: ChildProcessWithoutNullStreams) => void
  } = {}
) =>
  Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    // Without LETTA_BASE_URL the example starts the embedded server itself.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("LETTA_")))
    const child = spawn(process.execPath, ["--import", "tsx", `examples/${file}`], { cwd: root, env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      options.react?.(stdout, child)
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    if (options.react === undefined) child.stdin.end(options.stdin ?? "")
    else if (options.stdin !== undefined) child.stdin.write(options.stdin)
    child.once("exit", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

describe("examples", () => {
  it.live("quickstart creates an agent, gets a reply and cleans up", () =>
    Effect.gen(function*() {
      const result = yield* runExample("quickstart.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Created agent agent-[0-9a-f-]{36}$/m)
      expect(result.stdout).toContain("agent: You said: Hello! What can you do?")
      expect(result.stdout).toMatch(/stop reason: end_turn, tokens used: \d+/)
    }))
  it.live("stream prints the reply as it arrives, reasoning first", () =>
    Effect.gen(function*() {
      const result = yield* runExample("stream.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "> What makes a stream interruptible?",
        expect.stringMatching(/^The user said ".*"\. I'll answer\.$/),
        "You said: What makes a stream interruptible?",
        "[stop reason: end_turn]",
        ""
      ])
    }))
  it.live("async starts a run, polls it to the end and prints what it produced", () =>
    Effect.gen(function*() {
      const result = yield* runExample("async.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        expect.stringMatching(/^run run-[0-9a-f-]{36}: completed \(end_turn\)$/),
        "agent: You said: Summarise our last meeting",
        expect.stringMatching(/^tokens used: \d+$/),
        ""
      ])
    }))
  it.live("background survives the dropped connection: the reply arrives whole, each event once", () =>
    Effect.gen(function*() {
      const result = yield* runExample("background.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "#2 (thinking) The user said \"Write a long story\". I'll answer.",
        "#3 agent: You said: Write a long story",
        "stop reason: end_turn",
        "connections: /v1/agents/…/messages, /v1/runs/…/stream",
        ""
      ])
    }))
  it.live("tools: the agent calls the calculator and the clock, which run here, and answers with their results", () =>
    Effect.gen(function*() {
      const result = yield* runExample("tools.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "> Use the calculator to multiply 6 by 7 and read the clock in UTC",
        `[tool] calculator({"operation":"multiply","a":6,"b":7})`,
        `[tool] clock({"timezone":"UTC"})`,
        "calculator: 42",
        expect.stringMatching(/^clock: \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \(UTC\)$/),
        "[stop reason: end_turn]",
        ""
      ])
    }))
  it.live("observability prints each operation's spans as a tree, with what they learnt", () =>
    Effect.gen(function*() {
      const result = yield* runExample("observability.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      const agent = "agent-[0-9a-f]{8}…"
      const run = "run-[0-9a-f]{8}…"
      const http = (method: string, indent: string) =>
        new RegExp(`^${indent}└─ http\\.client ${method} \\d+ms http\\.response\\.status_code=200$`)
      expect(result.stdout.split("\n")).toEqual([
        expect.stringMatching(new RegExp(`^Agents\\.create \\d+ms agent_id=${agent}$`)),
        expect.stringMatching(http("POST", "")),
        expect.stringMatching(
          new RegExp(`^Messages\\.stream \\d+ms agent_id=${agent} run_id=${run} stop_reason=end_turn events=\\d+$`)
        ),
        expect.stringMatching(http("POST", "")),
        expect.stringMatching(new RegExp(`^ClientTools\\.stream \\d+ms agent_id=${agent} tools=\\["order_status"\\] tool_rounds=1$`)),
        expect.stringMatching(
          new RegExp(`^├─ Messages\\.stream \\d+ms agent_id=${agent} run_id=${run} stop_reason=requires_approval events=\\d+$`)
        ),
        expect.stringMatching(http("POST", "│  ")),
        expect.stringMatching(/^├─ ClientTools\.execute \d+ms tool\.name=order_status$/),
        expect.stringMatching(
          new RegExp(`^└─ Messages\\.stream \\d+ms agent_id=${agent} run_id=${run} stop_reason=end_turn events=\\d+$`)
        ),
        expect.stringMatching(http("POST", "   ")),
        expect.stringMatching(new RegExp(`^Agents\\.delete \\d+ms agent_id=${agent}$`)),
        expect.stringMatching(http("DELETE", "")),
        ""
      ])
    }))
  it.live("approvals: the policy approves a table on the allow-list and denies another, and the agent hears both", () =>
    Effect.gen(function*() {
      const result = yield* runExample("approvals.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "> Clean up the sessions table",
        `[approval] delete_records({"table":"sessions"}): approved`,
        "agent: delete_records: Deleted 3 records from sessions",
        "> Clean up the users table",
        `[approval] delete_records({"table":"users"}): denied (users is not on the allow-list)`,
        expect.stringMatching(/^agent: delete_records failed: .*denied.*users is not on the allow-list$/),
        ""
      ])
    }))
  it.live("conversation: two threads of one agent, each history holding only its own messages", () =>
    Effect.gen(function*() {
      const result = yield* runExample("conversation.ts")
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "[trip] > Plan a weekend in Lisbon",
        "[trip] agent: You said: Plan a weekend in Lisbon",
        "[release] > Draft the notes for version 2.0",
        "[release] agent: You said: Draft the notes for version 2.0",
        "[trip] > Add a day trip to Sintra",
        "[trip] agent: You said: Add a day trip to Sintra",
        "",
        "trip (Weekend trip):",
        "  user: Plan a weekend in Lisbon",
        "  agent: You said: Plan a weekend in Lisbon",
        "  user: Add a day trip to Sintra",
        "  agent: You said: Add a day trip to Sintra",
        "",
        "release (Release notes):",
        "  user: Draft the notes for version 2.0",
        "  agent: You said: Draft the notes for version 2.0",
        ""
      ])
    }))
  it.live("chat reads lines until the input ends, streams each reply and shows the tool call inline", () =>
    Effect.gen(function*() {
      const result = yield* runExample("chat.ts", { stdin: "hello\nwhat time is it? use the clock\n" })
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "> hello",
        `The user said "hello". I'll answer.`,
        "You said: hello",
        "> what time is it? use the clock",
        "I'll call clock.",
        "[tool] clock({})",
        "The tools answered. I'll report.",
        expect.stringMatching(/^clock: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/),
        ""
      ])
    }))
  it.live("chat: Ctrl-C (SIGINT) mid-reply stops the reply and cancels its run, and the chat goes on", () =>
    Effect.gen(function*() {
      let signalled = false
      let ended = false
      const result = yield* runExample("chat.ts", {
        // Each event of this reply waits 300 ms on the server: the signal comes mid-reply.
        stdin: "/slow 300 tell me a story\n",
        react: (stdout, child) => {
          if (!signalled && stdout.includes("The user said")) {
            signalled = true
            child.kill("SIGINT")
          }
          if (!ended && stdout.includes("[interrupted")) {
            ended = true
            child.stdin.end("hi again\n")
          }
        }
      })
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout.split("\n")).toEqual([
        "> /slow 300 tell me a story",
        expect.stringMatching(/^The user said\b/),
        "[interrupted; the run is cancelled]",
        "> hi again",
        `The user said "hi again". I'll answer.`,
        "You said: hi again",
        ""
      ])
    }))
})
