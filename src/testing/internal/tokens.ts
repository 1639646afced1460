/**
 * Token-mode deltas of one LLM response, shaped like the provider streaming
 * interfaces emit them (`SimpleOpenAIStreamingInterface` and friends):
 *
 * - every delta carries the response's `id` (the id its assistant message is
 *   persisted under) and its `step_id`;
 * - each logical part gets `otid = generate_otid_from_id(id, index)`, where
 *   `index` starts at 0 and moves on whenever `message_type` changes, so
 *   consecutive tool calls (parallel calls) share one otid;
 * - `reasoning` and assistant `content` are text fragments;
 * - a tool call is one `tool_call` / `tool_calls` delta object (null keys
 *   dropped): `name` only on the first delta, then `arguments` fragments, and
 *   `tool_call_id` on all of them;
 * - a call that needs approval streams as `approval_request_message` deltas
 *   under `decrement_message_uuid(id)`, which is also their `otid`, and
 *   outside the otid index count; `ApprovalRequestMessage` lacks the
 *   null-dropping encoder of `ToolCallMessage`, so its delta objects carry
 *   `"arguments":null` on the first delta and `"name":null` on the others.
 *   Every call is streamed, also those the agent drops afterwards because
 *   parallel tool calls are off.
 *
 * Dates are stamped when a delta is emitted (the interfaces call
 * `datetime.now()` per chunk).
 */
import * as Ids from "./ids.js"
import * as Wire from "./wire.js"

/** One part of an LLM response, in the order the provider streams it. */
export type ResponsePart =
  | { readonly _tag: "Reasoning"; readonly text: string }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "ToolCall"; readonly toolCallId: string; readonly name: string; readonly arguments: string }
  | { readonly _tag: "ApprovalCall"; readonly toolCallId: string; readonly name: string; readonly arguments: string }

export interface ResponseIds {
  /** the persisted assistant message id */
  readonly id: string
  readonly stepId: string
  readonly runId: string
}

/** A delta waiting for its emission time. */
export interface Delta {
  readonly messageType: string
  readonly at: (now: number) => Wire.WireObject
}

/**
 * Deterministic fragments: each word with the whitespace before it (trailing
 * whitespace is a fragment of its own), so the fragments concatenate to `text`.
 */
export const fragments = (text: string): Array<string> => text.match(/\s*\S+|\s+$/g) ?? []

/**
 * Deterministic argument fragments of at most eight characters (whole code
 * points), the way providers cut a call's JSON regardless of its spacing.
 */
const argumentFragments = (text: string): Array<string> => {
  const chars = Array.from(text)
  const out: Array<string> = []
  for (let i = 0; i < chars.length; i += 8) out.push(chars.slice(i, i + 8).join(""))
  return out
}

const messageType = (part: Exclude<ResponsePart, { _tag: "ApprovalCall" }>): string =>
  part._tag === "Reasoning" ? "reasoning_message" : part._tag === "Text" ? "assistant_message" : "tool_call_message"

const head = (ids: ResponseIds, type: string, otid: string, now: number): Wire.WireObject => ({
  id: ids.id,
  date: Wire.messageDate(now),
  name: null,
  message_type: type,
  otid,
  sender_id: null,
  step_id: ids.stepId,
  is_err: null,
  seq_id: null,
  run_id: ids.runId
})

// ToolCallDelta drops its null keys; the field order is name, arguments, tool_call_id.
const toolCallDelta = (
  delta: { readonly name?: string; readonly arguments?: string; readonly toolCallId: string }
) => ({
  ...(delta.name === undefined ? {} : { name: delta.name }),
  ...(delta.arguments === undefined ? {} : { arguments: delta.arguments }),
  tool_call_id: delta.toolCallId
})

/**
 * The deltas of one response, in emission order; with `split: false` each part
 * comes whole (what step mode shows of a response that is never persisted).
 */
export const deltas = (
  ids: ResponseIds,
  parts: ReadonlyArray<ResponsePart>,
  options?: { readonly split?: boolean | undefined }
): Array<Delta> => {
  const pieces = options?.split === false ? (text: string) => [text] : fragments
  const out: Array<Delta> = []
  let index = -1
  let previous: string | undefined
  for (const part of parts) {
    if (part._tag === "ApprovalCall") {
      out.push(...approvalDeltas(ids, part, options?.split === false ? (text) => [text] : argumentFragments))
      continue
    }
    const type = messageType(part)
    if (type !== previous) {
      index += 1
      previous = type
    }
    const otid = Ids.otidFromId(ids.id, index)
    switch (part._tag) {
      case "Reasoning":
        for (const fragment of pieces(part.text)) {
          out.push({
            messageType: type,
            at: (now) => ({
              ...head(ids, type, otid, now),
              source: "reasoner_model",
              reasoning: fragment,
              signature: null
            })
          })
        }
        break
      case "Text":
        for (const fragment of pieces(part.text)) {
          out.push({ messageType: type, at: (now) => ({ ...head(ids, type, otid, now), content: fragment }) })
        }
        break
      case "ToolCall": {
        const first = toolCallDelta({ name: part.name, toolCallId: part.toolCallId })
        out.push({
          messageType: type,
          at: (now) => ({ ...head(ids, type, otid, now), tool_call: first, tool_calls: first })
        })
        for (const fragment of pieces(part.arguments)) {
          const delta = toolCallDelta({ arguments: fragment, toolCallId: part.toolCallId })
          out.push({
            messageType: type,
            at: (now) => ({ ...head(ids, type, otid, now), tool_call: delta, tool_calls: delta })
          })
        }
        break
      }
    }
  }
  return out
}

/** The deltas of one call that needs approval (see the module comment). */
const approvalDeltas = (
  ids: ResponseIds,
  part: Extract<ResponsePart, { _tag: "ApprovalCall" }>,
  pieces: (text: string) => Array<string>
): Array<Delta> => {
  const id = Ids.decrement(ids.id)
  const type = "approval_request_message"
  const delta = (name: string | null, args: string | null) => {
    const call = { name, arguments: args, tool_call_id: part.toolCallId }
    return {
      messageType: type,
      at: (now: number) => ({ ...head({ ...ids, id }, type, id, now), tool_call: call, tool_calls: call })
    }
  }
  return [delta(part.name, null), ...pieces(part.arguments).map((fragment) => delta(null, fragment))]
}
