import { Effect } from "effect"
import type { LettaTestServer } from "effect-letta/testing"
import { call, createAgent, sseFrames } from "./helpers.js"

/** The calculator of the task's examples: an enum and two numbers. */
export const calculator = {
  name: "calculator",
  description: "Does arithmetic",
  parameters: {
    type: "object",
    properties: {
      operation: { type: "string", enum: ["add", "subtract", "multiply", "divide"] },
      a: { type: "number" },
      b: { type: "number" }
    },
    required: ["operation", "a", "b"]
  }
}

export const clock = { name: "clock", description: "Tells the time", parameters: { type: "object", properties: {} } }

export const sdkHeaders = { "x-stainless-package-version": "1.12.0" }

export const callId = /^call_[A-Za-z0-9]{24}$/

/** A JSON send to the agents endpoint. */
export const send = (server: LettaTestServer.Service, agentId: string, body: unknown) =>
  call(server, "POST", `/v1/agents/${agentId}/messages`, { body })

/** A whole SSE send to the agents endpoint, as parsed `data:` payloads and named events. */
export const stream = (server: LettaTestServer.Service, agentId: string, body: Record<string, unknown>) =>
  Effect.map(
    call(server, "POST", `/v1/agents/${agentId}/messages`, { body: { streaming: true, ...body }, headers: sdkHeaders }),
    (reply) => ({ status: reply.status, text: reply.text, frames: sseFrames(reply.text) })
  )

/** The JSON of each `data:` frame (`[DONE]` as the string). */
export const payloads = (frames: ReadonlyArray<{ readonly event: string; readonly data: string }>): Array<any> =>
  frames.map((f) => (f.data === "[DONE]" ? "[DONE]" : JSON.parse(f.data)))

/** `message_type` of each payload, or `[DONE]`. */
export const kinds = (items: ReadonlyArray<any>): Array<string> =>
  items.map((p) => (p === "[DONE]" ? "[DONE]" : p.message_type))

/** The answer to every call of an approval request, in `approvals` form. */
export const returns = (
  calls: ReadonlyArray<{ readonly tool_call_id: string }>,
  text: (i: number) => string
) => ({
  type: "approval",
  approvals: calls.map((c, i) => ({ type: "tool", tool_call_id: c.tool_call_id, status: "success", tool_return: text(i) }))
})

export const history = (server: LettaTestServer.Service, agentId: string) =>
  Effect.map(call(server, "GET", `/v1/agents/${agentId}/messages?order=asc`), (r) => r.json as Array<any>)

export const getRun = (server: LettaTestServer.Service, runId: string) =>
  Effect.map(call(server, "GET", `/v1/runs/${runId}`), (r) => r.json)

/** `decrement_message_uuid`, written independently of the server's version. */
export const decrement = (messageId: string): string => {
  const hex = (BigInt(`0x${messageId.slice("message-".length).replace(/-/g, "")}`) - 1n).toString(16).padStart(32, "0")
  return `message-${[hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-")}`
}

/** A new agent with one conversation, and a send to that conversation (SSE unless told otherwise). */
export const withConversation = (server: LettaTestServer.Service, defaults: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const agentId = yield* createAgent(server)
    const conversationId = (yield* call(server, "POST", `/v1/conversations/?agent_id=${agentId}`, { body: {} })).json
      .id as string
    const send = (body: Record<string, unknown>) =>
      Effect.map(call(server, "POST", `/v1/conversations/${conversationId}/messages`, { body: { ...defaults, ...body } }), (r) => ({
        ...r,
        items: r.text.startsWith("data: ") ? payloads(sseFrames(r.text)) : []
      }))
    return { agentId, conversationId, send }
  })
