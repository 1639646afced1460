import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either, Schema } from "effect"
import { Schemas } from "effect-letta"

const decode = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownSync(schema)
const encode = <A, I>(schema: Schema.Schema<A, I>) => Schema.encodeSync(schema)
/** Decodes a caller's input and encodes it for the wire, as the client does before sending. */
const wire = <A, I>(schema: Schema.Schema<A, I>, input: unknown) => encode(schema)(decode(schema)(input))

const base = {
  id: "message-1",
  date: "2026-08-01T12:00:00+00:00",
  name: null,
  otid: null,
  sender_id: null,
  step_id: null,
  is_err: null,
  seq_id: null,
  run_id: "run-1"
}

describe("discriminators", () => {
  it("fills in `type` on every kind of request item and always writes it", () => {
    const body = wire(Schemas.LettaRequest, {
      messages: [
        { role: "user", content: [{ text: "look" }, { source: { url: "https://x/y.png" } }] },
        { tool_returns: [{ tool_call_id: "call-1", status: "success", tool_return: "42" }] },
        {
          approvals: [
            { tool_call_id: "call-2", approve: false, reason: "no" },
            { tool_call_id: "call-3", status: "error", tool_return: [{ text: "boom" }] }
          ]
        }
      ]
    })
    expect(body).toEqual({
      messages: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image", source: { type: "url", url: "https://x/y.png" } }
          ]
        },
        {
          type: "tool_return",
          tool_returns: [{ type: "tool", tool_call_id: "call-1", status: "success", tool_return: "42" }]
        },
        {
          type: "approval",
          approvals: [
            { type: "approval", tool_call_id: "call-2", approve: false, reason: "no" },
            { type: "tool", tool_call_id: "call-3", status: "error", tool_return: [{ type: "text", text: "boom" }] }
          ]
        }
      ]
    })
  })

  it("keeps a caller's explicit tags and reads a null message type as `message`", () => {
    expect(wire(Schemas.MessageCreateUnion, { type: null, role: "system", content: "be brief" })).toEqual({
      type: "message",
      role: "system",
      content: "be brief"
    })
    expect(wire(Schemas.LettaMessageContentUnion, { type: "omitted_reasoning" })).toEqual({ type: "omitted_reasoning" })
  })

  it("rejects an untagged item that is neither a message, a tool return nor an approval", () => {
    // Forgetting `role` must be reported, not turned into an empty approval.
    const result = Schema.decodeUnknownEither(Schemas.MessageCreateUnion)({ content: "hi" })
    expect(Either.isLeft(result)).toBe(true)
  })

  it("requires exactly one of `input` and `messages`", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(Schemas.LettaRequest)({}))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(Schemas.LettaRequest)({ input: "a", messages: [] }))).toBe(true)
    expect(wire(Schemas.LettaRequest, { input: "hi", messages: null })).toEqual({ input: "hi", messages: null })
  })

  it("adds no server defaults to a request", () => {
    expect(wire(Schemas.LettaStreamingRequest, { input: "hi" })).toEqual({ input: "hi" })
  })

  it("requires `provider_type` to pick model settings", () => {
    expect(Either.isLeft(Schema.decodeUnknownEither(Schemas.ModelSettings)({ temperature: 0.2 }))).toBe(true)
    expect(decode(Schemas.ModelSettings)({ provider_type: "anthropic", temperature: 0.2 })).toEqual({
      provider_type: "anthropic",
      temperature: 0.2
    })
  })
})

describe("what the server sends", () => {
  it("reads dates with +00:00, Z, microseconds, or no offset (as UTC)", () => {
    const run = decode(Schemas.Run)({
      id: "run-1",
      agent_id: "agent-1",
      status: "completed",
      created_at: "2026-08-01T12:00:00.481516Z",
      completed_at: "2026-08-01T12:00:05.123456"
    })
    expect(DateTime.toEpochMillis(run.created_at!)).toBe(Date.UTC(2026, 7, 1, 12, 0, 0, 481))
    expect(DateTime.toEpochMillis(run.completed_at!)).toBe(Date.UTC(2026, 7, 1, 12, 0, 5, 123))
    const message = decode(Schemas.SystemMessage)({ ...base, message_type: "system_message", content: "s" })
    expect(DateTime.toEpochMillis(message.date)).toBe(Date.UTC(2026, 7, 1, 12, 0, 0))
    expect(Either.isLeft(Schema.decodeUnknownEither(Schemas.Run)({ id: "r", agent_id: "a", created_at: "yesterday" })))
      .toBe(true)
  })

  it("accepts explicit nulls and ignores unknown extra fields", () => {
    const message = decode(Schemas.LettaMessage)({
      ...base,
      message_type: "assistant_message",
      content: "hi",
      field_from_the_future: { x: 1 }
    })
    expect(message.message_type).toBe("assistant_message")
    expect(message).not.toHaveProperty("field_from_the_future")
  })

  it("reads tool_calls as an array of calls or as a single delta", () => {
    const step = decode(Schemas.LettaStreamingMessage)({
      ...base,
      message_type: "tool_call_message",
      tool_call: { name: "f", arguments: "{}", tool_call_id: "c1" },
      tool_calls: [{ name: "f", arguments: "{}", tool_call_id: "c1" }]
    })
    const delta = decode(Schemas.LettaStreamingMessage)({
      ...base,
      message_type: "tool_call_message",
      tool_call: { arguments: "{\"a\":", tool_call_id: "c1" },
      tool_calls: { arguments: "{\"a\":", tool_call_id: "c1" }
    })
    expect(step.message_type === "tool_call_message" && Array.isArray(step.tool_calls)).toBe(true)
    expect(delta.message_type === "tool_call_message" && delta.tool_calls).toEqual({
      arguments: "{\"a\":",
      tool_call_id: "c1"
    })
  })

  it("reads content as a string or as parts", () => {
    const parts = decode(Schemas.LettaMessage)({
      ...base,
      message_type: "user_message",
      content: [{ type: "text", text: "a" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } }]
    })
    expect(parts.message_type === "user_message" && Array.isArray(parts.content) && parts.content.length).toBe(2)
  })

  it("keeps a message of an unknown type, and writes it back as received", () => {
    const received = { message_type: "response_state", id: "x", state: { step: 3 } }
    const message = decode(Schemas.LettaStreamingMessage)(received)
    expect(message).toEqual(
      {
        message_type: "unknown_message",
        received_message_type: "response_state",
        payload: { id: "x", state: { step: 3 } }
      }
    )
    expect(encode(Schemas.LettaStreamingMessage)(message)).toEqual(received)
  })

  it("fails a malformed message of a known type instead of passing it off as unknown", () => {
    const result = Schema.decodeUnknownEither(Schemas.LettaStreamingMessage)({ ...base, message_type: "assistant_message" })
    expect(Either.isLeft(result)).toBe(true)
  })

  it("accepts the stream-error shapes the server writes, nulls included", () => {
    const error = decode(Schemas.LettaStreamingMessage)({
      message_type: "error_message",
      run_id: null,
      error_type: "internal_error",
      message: "boom",
      detail: null,
      seq_id: null
    })
    expect(error.message_type).toBe("error_message")
  })

  it("fills the usage counters' defaults", () => {
    const usage = decode(Schemas.LettaUsageStatistics)({ message_type: "usage_statistics", completion_tokens: 50 })
    expect([usage.completion_tokens, usage.prompt_tokens, usage.total_tokens, usage.step_count]).toEqual([50, 0, 0, 0])
  })

  it("reads enum values newer than this client instead of failing the response", () => {
    const stop = decode(Schemas.LettaStopReason)({ message_type: "stop_reason", stop_reason: "budget_exhausted" })
    expect(stop.stop_reason).toBe("budget_exhausted")
    const run = decode(Schemas.Run)({ id: "run-1", agent_id: "a", status: "paused", stop_reason: "end_turn" })
    expect([run.status, run.stop_reason]).toEqual(["paused", "end_turn"])
    // Known values keep their literal types: this comparison only compiles because of that.
    const finished: boolean = run.status === "completed" || run.status === "failed"
    expect(finished).toBe(false)
    // Requests stay strict: the server would reject an unknown value anyway.
    expect(Either.isLeft(Schema.decodeUnknownEither(Schemas.RunListParams)({ statuses: ["paused"] }))).toBe(true)
  })
})
