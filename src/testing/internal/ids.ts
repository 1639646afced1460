/**
 * Letta ids: `<prefix>-<uuid4>`, validated with the server's own pattern.
 */
import { randomInt, randomUUID } from "node:crypto"

export type Prefix = "agent" | "message" | "run" | "step" | "block" | "ping" | "user" | "org" | "conv"

export const make = (prefix: Prefix): string => `${prefix}-${randomUUID()}`

/** The regex source the server puts in `ctx.pattern` of path-validation errors. */
export const patternSource = (prefix: string): string =>
  `^${prefix}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

const patterns = new Map<string, RegExp>()

export const isValid = (prefix: string, id: string): boolean => {
  let re = patterns.get(prefix)
  if (re === undefined) {
    re = new RegExp(patternSource(prefix))
    patterns.set(prefix, re)
  }
  return re.test(id)
}

/**
 * The `PrimitiveType` values, the prefixes `PATH_VALIDATORS` knows: the 422
 * handler only rewrites path-id errors for parameters named after one of them
 * (so `conversation_id`, whose prefix is `conv`, keeps pydantic's own wording).
 */
export const primitives: ReadonlySet<string> = new Set([
  "agent",
  "message",
  "run",
  "job",
  "group",
  "block",
  "file",
  "source",
  "tool",
  "archive",
  "passage",
  "provider",
  "model",
  "sandbox",
  "step",
  "identity",
  "conv",
  "mcp_server",
  "mcp-oauth",
  "file_agent",
  "sandbox-env",
  "agent-env",
  "user",
  "org",
  "tool_rule",
  "batch_item",
  "batch_req",
  "provider_trace"
])

/** The fixed length FastAPI's `min_length`/`max_length` enforce before the pattern. */
export const idLength = (prefix: string): number => prefix.length + 1 + 36

/** The example id the 422 handler lists in `examples`. */
export const example = (prefix: string): string => `${prefix}-123e4567-e89b-42d3-8456-426614174000`

/**
 * `Message.generate_otid_from_id`: the message UUID with its low 7 bits replaced
 * by `index`, as a bare UUID. Each part of one assistant message gets its own otid.
 */
export const otidFromId = (messageId: string, index: number): string => {
  const hexDigits = messageId.replace("message-", "").replace(/-/g, "")
  const value = (BigInt("0x" + hexDigits) & ~0x7fn) | BigInt(index & 0x7f)
  const h = value.toString(16).padStart(32, "0")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * `decrement_message_uuid`: the message UUID minus one, the id an approval
 * request gets next to the assistant message id its response was streamed under.
 */
export const decrement = (messageId: string): string => {
  const hexDigits = messageId.slice(messageId.indexOf("-") + 1).replace(/-/g, "")
  const h = ((BigInt("0x" + hexDigits) - 1n) & ((1n << 128n) - 1n)).toString(16).padStart(32, "0")
  return `message-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A provider-style tool call id: `call_` and 24 random alphanumerics. */
export const toolCallId = (): string => {
  let id = "call_"
  for (let i = 0; i < 24; i++) id += alphanumerics[randomInt(alphanumerics.length)]
  return id
}

/** The single user and organization of a self-hosted server without multi-tenancy. */
export const defaultUserId = "user-00000000-0000-4000-8000-000000000000"
export const defaultOrgId = "org-00000000-0000-4000-8000-000000000000"
