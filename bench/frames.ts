/**
 * SSE bodies for the benchmark, built with the real server's byte layout (pydantic's compact
 * JSON with explicit nulls, `data: …\n\n`, the `stop_reason` → `usage_statistics` → `[DONE]`
 * tail).
 */
const runId = "run-5b8e3a52-7d5c-4c1e-9f3a-2f1d6a0c9b11"
const stepId = "step-0c6f0d8e-6a43-4b7f-8a55-1d2a3b4c5d6e"
const messageId = "message-3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00"

const head = (type: string, otid: string) =>
  `{"id":"${messageId}","date":"2026-08-01T12:00:00+00:00","name":null,"message_type":"${type}","otid":"${otid}",` +
  `"sender_id":null,"step_id":"${stepId}","is_err":null,"seq_id":null,"run_id":"${runId}"`

const ping = `data: {"id":"ping-1d0e9f8a-7b6c-4d5e-8f9a-0b1c2d3e4f5a","date":"2026-08-01T12:00:00+00:00","name":null,` +
  `"message_type":"ping","otid":null,"sender_id":null,"step_id":null,"is_err":null,"seq_id":null,"run_id":"${runId}"}\n\n`

const tail = `data: {"message_type":"stop_reason","stop_reason":"end_turn"}\n\n` +
  `data: {"message_type":"usage_statistics","completion_tokens":87,"prompt_tokens":5120,"total_tokens":5207,` +
  `"step_count":2,"run_ids":null,"cached_input_tokens":null,"cache_write_tokens":null,"reasoning_tokens":null,` +
  `"context_tokens":null}\n\ndata: [DONE]\n\n`

const words = ["The", " weather", " in", " Paris", " is", " mild", ",", " about", " 21", "°C", " today", "."]

/** One token-mode delta (~320 bytes): an assistant text fragment. */
const tokenFrame = (i: number) =>
  `data: ${head("assistant_message", "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3900")},` +
  `"content":${JSON.stringify(words[i % words.length])}}\n\n`

const filler = (n: number) => "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(n)

/** One step-mode message (~2 KB): whole reasoning, tool calls, tool returns and replies in turn. */
const stepFrame = (i: number) => {
  switch (i % 4) {
    case 0:
      return `data: ${head("reasoning_message", "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b00")},"source":"reasoner_model",` +
        `"reasoning":${JSON.stringify(filler(31))},"signature":null}\n\n`
    case 1: {
      const call = `{"name":"search","arguments":${JSON.stringify(JSON.stringify({ query: filler(24) }))},` +
        `"tool_call_id":"toolu_${i}"}`
      return `data: ${head("tool_call_message", "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b01")},"tool_call":${call},` +
        `"tool_calls":[${call}]}\n\n`
    }
    case 2: {
      const value = JSON.stringify(filler(14))
      return `data: ${head("tool_return_message", "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1c00")},"tool_return":${value},` +
        `"status":"success","tool_call_id":"toolu_${i - 1}","stdout":[],"stderr":[],"tool_returns":[{"type":"tool",` +
        `"tool_return":${value},"status":"success","tool_call_id":"toolu_${i - 1}","stdout":[],"stderr":[]}]}\n\n`
    }
    default:
      return `data: ${head("assistant_message", "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3900")},` +
        `"content":${JSON.stringify(filler(33))}}\n\n`
  }
}

/** A whole SSE body of `count` frames, plus the initial ping and the normal tail. */
export const body = (mode: "token" | "step", count: number): Buffer => {
  const frame = mode === "token" ? tokenFrame : stepFrame
  const parts: Array<string> = [ping]
  for (let i = 0; i < count; i++) parts.push(frame(i))
  parts.push(tail)
  return Buffer.from(parts.join(""), "utf8")
}

/** Events a consumer should see in a body of `count` frames: ping, frames, stop, usage. */
export const eventsIn = (count: number) => count + 3
