import { describe, expect, it } from "@effect/vitest"
import * as Sse from "../../src/testing/internal/sse.js"
import * as Tokens from "../../src/testing/internal/tokens.js"

// Frames of `examples/synth_foreground_token_stream.sse` (PROTOCOL §9), made with the real
// server's pydantic classes: a reasoning delta and the first two tool-call deltas.
const synthReasoning = "data: {\"id\":\"message-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00\",\"date\":\"2026-08-01T12:00:00+00:00\",\"name\":null,\"message_type\":\"reasoning_message\",\"otid\":\"3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00\",\"sender_id\":null,\"step_id\":\"step-0c6f0d8e-6a43-4b7f-8a55-1d2a3b4c5d6e\",\"is_err\":null,\"seq_id\":null,\"run_id\":\"run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11\",\"source\":\"reasoner_model\",\"reasoning\":\"The user wants\",\"signature\":null}\n\n"
const synthToolName = "data: {\"id\":\"message-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00\",\"date\":\"2026-08-01T12:00:00+00:00\",\"name\":null,\"message_type\":\"tool_call_message\",\"otid\":\"3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b01\",\"sender_id\":null,\"step_id\":\"step-0c6f0d8e-6a43-4b7f-8a55-1d2a3b4c5d6e\",\"is_err\":null,\"seq_id\":null,\"run_id\":\"run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11\",\"tool_call\":{\"name\":\"get_weather\",\"tool_call_id\":\"toolu_01ABC\"},\"tool_calls\":{\"name\":\"get_weather\",\"tool_call_id\":\"toolu_01ABC\"}}\n\n"
const synthToolArguments = "data: {\"id\":\"message-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00\",\"date\":\"2026-08-01T12:00:00+00:00\",\"name\":null,\"message_type\":\"tool_call_message\",\"otid\":\"3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b01\",\"sender_id\":null,\"step_id\":\"step-0c6f0d8e-6a43-4b7f-8a55-1d2a3b4c5d6e\",\"is_err\":null,\"seq_id\":null,\"run_id\":\"run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11\",\"tool_call\":{\"arguments\":\"{\\\"city\\\": \",\"tool_call_id\":\"toolu_01ABC\"},\"tool_calls\":{\"arguments\":\"{\\\"city\\\": \",\"tool_call_id\":\"toolu_01ABC\"}}\n\n"

const ids = {
  id: "message-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00",
  stepId: "step-0c6f0d8e-6a43-4b7f-8a55-1d2a3b4c5d6e",
  runId: "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"
}
const at = Date.parse("2026-08-01T12:00:00Z")

const render = (deltas: ReadonlyArray<Tokens.Delta>) => deltas.map((d) => Sse.render(Sse.data(d.at(at))))

describe("token deltas", () => {
  it("match the real server's reasoning and tool-call deltas byte for byte", () => {
    const frames = render(Tokens.deltas(ids, [
      { _tag: "Reasoning", text: "The user wants the weather." },
      { _tag: "ToolCall", toolCallId: "toolu_01ABC", name: "get_weather", arguments: "{\"city\": \"Paris\"}" }
    ], { split: false }))
    // Whole parts: the reasoning as one delta, the call's name and then its arguments.
    expect(frames[1]).toBe(synthToolName)
    expect(frames[0]).toBe(synthReasoning.replace("\"The user wants\"", "\"The user wants the weather.\""))
    expect(frames[2]).toBe(
      synthToolArguments.replaceAll(
        "{\"arguments\":\"{\\\"city\\\": \",",
        "{\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\","
      )
    )
  })

  it("split text into word fragments that concatenate back, one otid per run of a message type", () => {
    expect(Tokens.fragments("  Hello,  world \n")).toEqual(["  Hello,", "  world", " \n"])
    expect(Tokens.fragments("")).toEqual([])
    const deltas = Tokens.deltas(ids, [
      { _tag: "Reasoning", text: "a b" },
      { _tag: "Text", text: "c d" },
      { _tag: "ToolCall", toolCallId: "t1", name: "f", arguments: "{\"x\": 1}" },
      { _tag: "ToolCall", toolCallId: "t2", name: "g", arguments: "{}" },
      { _tag: "Reasoning", text: "e" }
    ]).map((d) => d.at(at))
    expect(deltas.map((d) => [d["message_type"], String(d["otid"]).slice(-2)])).toEqual([
      ["reasoning_message", "00"],
      ["reasoning_message", "00"],
      ["assistant_message", "01"],
      ["assistant_message", "01"],
      ["tool_call_message", "02"],
      ["tool_call_message", "02"],
      ["tool_call_message", "02"],
      // Parallel calls share the otid and differ by tool_call_id.
      ["tool_call_message", "02"],
      ["tool_call_message", "02"],
      ["reasoning_message", "03"]
    ])
    expect(deltas.slice(4, 9).map((d) => d["tool_calls"])).toEqual([
      { name: "f", tool_call_id: "t1" },
      { arguments: "{\"x\":", tool_call_id: "t1" },
      { arguments: " 1}", tool_call_id: "t1" },
      { name: "g", tool_call_id: "t2" },
      { arguments: "{}", tool_call_id: "t2" }
    ])
    expect(deltas.every((d) => d["id"] === ids.id)).toBe(true)
  })
})
