import { describe, expect, it } from "@effect/vitest"
import { Chunk, DateTime, Effect, FastCheck as fc, Schema, Stream } from "effect"
import { Accumulator, Schemas } from "effect-letta"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const decode = Schema.decodeUnknownSync(Schemas.LettaStreamingMessage)
const common = (id: string, otid: string | null) => ({
  id,
  date: "2026-08-01T12:00:00+00:00",
  otid,
  run_id: "run-1",
  seq_id: null
})
const reasoning = (id: string, otid: string, text: string) =>
  decode({ ...common(id, otid), message_type: "reasoning_message", reasoning: text })
const assistant = (id: string, otid: string, content: string | ReadonlyArray<{ type: "text"; text: string }>) =>
  decode({ ...common(id, otid), message_type: "assistant_message", content })
const toolDelta = (id: string, otid: string, call: { tool_call_id?: string; name?: string; arguments?: string }) =>
  decode({ ...common(id, otid), message_type: "tool_call_message", tool_call: call, tool_calls: call })
const stop = decode({ message_type: "stop_reason", stop_reason: "end_turn" })
const ping = decode({ message_type: "ping", id: "ping-1", date: "2026-08-01T12:00:00+00:00", run_id: "run-1" })

const summary = (message: Schemas.LettaStreamingMessage): unknown => {
  switch (message.message_type) {
    case "reasoning_message":
      return ["reasoning", message.otid, message.reasoning]
    case "assistant_message":
      return ["assistant", message.otid, message.content]
    case "tool_call_message":
    case "approval_request_message":
      return [
        message.message_type,
        Array.isArray(message.tool_calls) ? message.tool_calls.map((c) => [c.tool_call_id, c.name, c.arguments]) : null
      ]
    default:
      return [message.message_type]
  }
}

describe("Accumulator", () => {
  it("merges reasoning and assistant text by otid, even where parts share an id and types repeat", () => {
    const merged = Accumulator.fold([
      reasoning("m1", "o0", "I should "),
      reasoning("m1", "o0", "think."),
      assistant("m1", "o1", "Hello"),
      assistant("m1", "o1", ", world"),
      // The model goes back to thinking: a new otid, a new part.
      reasoning("m1", "o2", "Done?"),
      stop
    ])
    expect(merged.map(summary)).toEqual([
      ["reasoning", "o0", "I should think."],
      ["assistant", "o1", "Hello, world"],
      ["reasoning", "o2", "Done?"],
      ["stop_reason"]
    ])
  })

  it("merges tool-call arguments by tool_call_id; parallel calls become one message with both", () => {
    const merged = Accumulator.fold([
      toolDelta("m2", "o0", { tool_call_id: "a", name: "add" }),
      toolDelta("m2", "o0", { tool_call_id: "b", name: "clock" }),
      toolDelta("m2", "o0", { tool_call_id: "a", arguments: "{\"x\":" }),
      toolDelta("m2", "o0", { tool_call_id: "b", arguments: "{}" }),
      toolDelta("m2", "o0", { tool_call_id: "a", arguments: "1}" }),
      stop
    ])
    expect(merged.map(summary)).toEqual([
      ["tool_call_message", [["a", "add", "{\"x\":1}"], ["b", "clock", "{}"]]],
      ["stop_reason"]
    ])
    const call = merged[0]
    expect(call.message_type === "tool_call_message" && call.tool_call).toEqual(
      { tool_call_id: "a", name: "add", arguments: "{\"x\":1}" }
    )
  })

  it("completes a response when another response starts, and keeps pings from completing anything", () =>
    Effect.gen(function*() {
      const updates = yield* Stream.make(
        assistant("m1", "o1", "a"),
        ping,
        assistant("m1", "o1", "b"),
        assistant("m3", "o9", "next")
      ).pipe(Accumulator.accumulateWithPartials, Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      expect(updates.map((u) => [u._tag, ...(summary(u.message) as Array<unknown>)])).toEqual([
        ["Partial", "assistant", "o1", "a"],
        ["Complete", "ping"],
        ["Partial", "assistant", "o1", "ab"],
        ["Complete", "assistant", "o1", "ab"],
        ["Partial", "assistant", "o9", "next"],
        ["Complete", "assistant", "o9", "next"]
      ])
    }).pipe(Effect.runPromise))

  it("keeps content as parts when it came as parts", () => {
    const [merged] = Accumulator.fold([
      assistant("m1", "o1", [{ type: "text", text: "he" }]),
      assistant("m1", "o1", "llo")
    ])
    expect(merged.message_type === "assistant_message" && merged.content).toEqual([
      { type: "text", text: "hello" }
    ])
  })

  it("keeps the first delta's fields and the latest seq_id", () => {
    const [merged] = Accumulator.fold([
      decode({ ...common("m1", "o1"), seq_id: 4, message_type: "assistant_message", content: "a" }),
      decode({ ...common("m1", "o1"), seq_id: 5, message_type: "assistant_message", content: "b" })
    ])
    expect(merged.message_type === "assistant_message" && [merged.id, merged.seq_id, merged.content]).toEqual([
      "m1",
      5,
      "ab"
    ])
    expect(merged.message_type === "assistant_message" && DateTime.toEpochMillis(merged.date)).toBe(
      Date.UTC(2026, 7, 1, 12)
    )
  })

  // Any step-mode turn, cut into token deltas at random points, folds back into itself.
  const part = fc.oneof(
    fc.record({ kind: fc.constant("reasoning" as const), text: fc.string({ minLength: 1, maxLength: 30 }) }),
    fc.record({ kind: fc.constant("assistant" as const), text: fc.string({ minLength: 1, maxLength: 30 }) }),
    fc.record({
      kind: fc.constant("tools" as const),
      calls: fc.array(fc.record({ name: fc.constantFrom("add", "clock"), args: fc.json({ maxDepth: 1 }) }), {
        minLength: 1,
        maxLength: 3
      })
    })
  )
  it.prop("folding token deltas gives back the step-mode messages", [
    fc.array(fc.array(part, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.nat(), { minLength: 20, maxLength: 20 })
  ], ([responses, cuts]) => {
    let cut = 0
    const split = (text: string): Array<string> => {
      const at = text.length <= 1 ? text.length : 1 + (cuts[cut++ % cuts.length] % (text.length - 1))
      return at >= text.length ? [text] : [text.slice(0, at), text.slice(at)]
    }
    const step: Array<Schemas.LettaStreamingMessage> = []
    const tokens: Array<Schemas.LettaStreamingMessage> = []
    responses.forEach((parts, r) => {
      const id = `message-${r}`
      parts.forEach((p, i) => {
        const otid = `otid-${r}-${i}`
        if (p.kind === "reasoning") {
          step.push(reasoning(id, otid, p.text))
          for (const piece of split(p.text)) tokens.push(reasoning(id, otid, piece))
        } else if (p.kind === "assistant") {
          step.push(assistant(id, otid, p.text))
          for (const piece of split(p.text)) tokens.push(assistant(id, otid, piece))
        } else {
          const calls = p.calls.map((c, k) => ({ tool_call_id: `call-${r}-${i}-${k}`, name: c.name, arguments: c.args }))
          step.push(
            decode({ ...common(id, otid), message_type: "tool_call_message", tool_call: calls[0], tool_calls: calls })
          )
          for (const call of calls) {
            const [head, ...rest] = split(call.arguments)
            tokens.push(toolDelta(id, otid, { tool_call_id: call.tool_call_id, name: call.name, arguments: head }))
            for (const piece of rest) tokens.push(toolDelta(id, otid, { tool_call_id: call.tool_call_id, arguments: piece }))
          }
        }
      })
      step.push(decode({ ...common(`return-${r}`, null), message_type: "tool_return_message", tool_return: "ok", status: "success", tool_call_id: "x" }))
      tokens.push(step[step.length - 1])
    })
    expect(Accumulator.fold(tokens).map(summary)).toEqual(Accumulator.fold(step).map(summary))
    expect(Accumulator.fold(step).map(summary)).toEqual(step.map(summary))
  })

  const synth = fileURLToPath(new URL("../../../shared/letta/examples/synth_foreground_token_stream.sse", import.meta.url))
  it.skipIf(!existsSync(synth))("merges the synthesized token stream of the real server's classes", () => {
    const frames = readFileSync(synth, "utf8").split("\n").filter((line) => line.startsWith("data: {"))
    const merged = Accumulator.fold(frames.map((line) => decode(JSON.parse(line.slice(6)))))
    expect(merged.map(summary)).toEqual([
      ["ping"],
      ["reasoning", "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00", "The user wants the weather."],
      ["tool_call_message", [["toolu_01ABC", "get_weather", "{\"city\": \"Paris\"}"]]],
      ["tool_return_message"],
      ["assistant", "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3900", "It's 21°C in Paris."],
      ["stop_reason"],
      ["usage_statistics"]
    ])
  })
})
