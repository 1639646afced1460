/**
 * Merges the token deltas of a `stream_tokens: true` stream into whole messages, with the
 * keys the server's token streams need. Every delta of one model response carries the same
 * `id`, so `id` cannot tell its parts apart: reasoning and assistant text are merged by `otid` (and
 * `message_type`), tool-call and approval-request arguments by `tool_call_id` (parallel tool
 * calls share one `id` and `otid` and become one message holding all their calls, the shape
 * step mode sends). Whole step-mode messages pass through unchanged in meaning.
 *
 * A response's parts are complete when a message of another response (another `id`) or any
 * other kind of message arrives, or the stream ends. Pings pass through and complete
 * nothing.
 *
 * @since 0.1.0
 */
import { Chunk, Stream } from "effect"
import type {
  ApprovalRequestMessage,
  AssistantMessage,
  HiddenReasoningMessage,
  LettaStreamingMessage,
  ReasoningMessage,
  ToolCallMessage
} from "./schema/messages.js"
import type { ToolCall, ToolCallDelta } from "./schema/tools.js"

/**
 * One step of an accumulated stream: a message as it grows (`Partial`, for live UIs) or a
 * whole message (`Complete`).
 *
 * @since 0.1.0
 * @category models
 */
export type Update =
  | { readonly _tag: "Partial"; readonly message: LettaStreamingMessage }
  | { readonly _tag: "Complete"; readonly message: LettaStreamingMessage }

type Delta = ReasoningMessage | HiddenReasoningMessage | AssistantMessage | ToolCallMessage | ApprovalRequestMessage

const isDelta = (message: LettaStreamingMessage): message is Delta => {
  switch (message.message_type) {
    case "reasoning_message":
    case "hidden_reasoning_message":
    case "assistant_message":
    case "tool_call_message":
    case "approval_request_message":
      return true
    default:
      return false
  }
}

/** The text of string-or-parts content. */
const textOf = (content: AssistantMessage["content"]): string =>
  typeof content === "string" ? content : content.map((part) => part.text).join("")

interface CallState {
  toolCallId: string
  name: string
  arguments: string
}

/** A part being merged: the first delta (for its fields), what has grown, and the latest delta. */
interface Part {
  readonly first: Delta
  last: Delta
  text: string
  /** Assistant content arrived as parts at least once, so it is written back as parts. */
  asParts: boolean
  signature: string | null | undefined
  calls: Array<CallState>
}

const fromDelta = (delta: Delta): Part => ({
  first: delta,
  last: delta,
  text: "",
  asParts: false,
  signature: undefined,
  calls: []
})

const mergeCalls = (part: Part, calls: ReadonlyArray<ToolCall | ToolCallDelta>) => {
  for (const call of calls) {
    const id = call.tool_call_id ?? undefined
    // A delta without an id continues the call before it.
    let state = id === undefined ? part.calls[part.calls.length - 1] : part.calls.find((c) => c.toolCallId === id)
    if (state === undefined) {
      state = { toolCallId: id ?? "", name: "", arguments: "" }
      part.calls.push(state)
    }
    if (state.name === "" && typeof call.name === "string") state.name = call.name
    if (typeof call.arguments === "string") state.arguments += call.arguments
  }
}

const merge = (part: Part, delta: Delta) => {
  part.last = delta
  switch (delta.message_type) {
    case "reasoning_message":
      part.text += delta.reasoning
      if (delta.signature != null) part.signature = delta.signature
      return
    case "hidden_reasoning_message":
      part.text += delta.hidden_reasoning ?? ""
      return
    case "assistant_message":
      if (typeof delta.content !== "string") part.asParts = true
      part.text += textOf(delta.content)
      return
    case "tool_call_message":
    case "approval_request_message": {
      const calls = delta.tool_calls ?? delta.tool_call
      mergeCalls(part, Array.isArray(calls) ? calls : [calls])
      return
    }
  }
}

/** The merged message: the first delta's fields, the latest `seq_id`, the grown content. */
const build = (part: Part): LettaStreamingMessage => {
  const base = { ...part.first, seq_id: part.last.seq_id }
  switch (base.message_type) {
    case "reasoning_message":
      return { ...base, reasoning: part.text, signature: part.signature ?? base.signature }
    case "hidden_reasoning_message":
      return { ...base, hidden_reasoning: part.text }
    case "assistant_message":
      return { ...base, content: part.asParts ? [{ type: "text", text: part.text }] : part.text }
    case "tool_call_message":
    case "approval_request_message": {
      const calls: Array<ToolCall> = part.calls.map((call) => ({
        name: call.name,
        arguments: call.arguments,
        tool_call_id: call.toolCallId
      }))
      return { ...base, tool_call: calls[0] ?? base.tool_call, tool_calls: calls }
    }
  }
}

/** The accumulation of one stream, one message at a time. */
class Accumulation {
  private readonly parts = new Map<string, Part>()
  private responseId: string | undefined

  constructor(private readonly partials: boolean) {}

  /** The updates one incoming message causes, in order. */
  push(message: LettaStreamingMessage, out: Array<Update>): void {
    if (message.message_type === "ping") {
      out.push({ _tag: "Complete", message })
      return
    }
    if (!isDelta(message)) {
      this.flush(out)
      out.push({ _tag: "Complete", message })
      return
    }
    if (this.responseId !== undefined && message.id !== this.responseId) this.flush(out)
    this.responseId = message.id
    const key = `${message.message_type}:${message.otid ?? message.id}`
    let part = this.parts.get(key)
    if (part === undefined) {
      part = fromDelta(message)
      this.parts.set(key, part)
    }
    merge(part, message)
    if (this.partials) out.push({ _tag: "Partial", message: build(part) })
  }

  /** Completes every pending part, in the order each first appeared. */
  flush(out: Array<Update>): void {
    for (const part of this.parts.values()) out.push({ _tag: "Complete", message: build(part) })
    this.parts.clear()
    this.responseId = undefined
  }
}

const accumulateUpdates = (partials: boolean) =>
<E, R>(self: Stream.Stream<LettaStreamingMessage, E, R>): Stream.Stream<Update, E, R> =>
  Stream.suspend(() => {
    const accumulation = new Accumulation(partials)
    return self.pipe(
      Stream.mapChunks((chunk) => {
        const out: Array<Update> = []
        for (const message of chunk) accumulation.push(message, out)
        return Chunk.unsafeFromArray(out)
      }),
      Stream.concat(Stream.suspend(() => {
        const out: Array<Update> = []
        accumulation.flush(out)
        return Stream.fromIterable(out)
      }))
    )
  })

/**
 * Merges token deltas into whole messages, each emitted once complete; every other message
 * passes through in order. If the stream fails, the parts merged so far are not emitted.
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulate = <E, R>(
  self: Stream.Stream<LettaStreamingMessage, E, R>
): Stream.Stream<LettaStreamingMessage, E, R> =>
  accumulateUpdates(false)(self).pipe(Stream.map((update) => update.message))

/**
 * Like {@link accumulate}, but also emits each message as it grows (`Partial`) before it is
 * `Complete`: the shape a live UI wants.
 *
 * @since 0.1.0
 * @category combinators
 */
export const accumulateWithPartials: <E, R>(
  self: Stream.Stream<LettaStreamingMessage, E, R>
) => Stream.Stream<Update, E, R> = accumulateUpdates(true)

/**
 * The same merge over messages already collected.
 *
 * @since 0.1.0
 * @category folding
 */
export const fold = (messages: Iterable<LettaStreamingMessage>): Array<LettaStreamingMessage> => {
  const accumulation = new Accumulation(false)
  const out: Array<Update> = []
  for (const message of messages) accumulation.push(message, out)
  accumulation.flush(out)
  return out.map((update) => update.message)
}
