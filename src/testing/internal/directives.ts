/**
 * Per-request control hidden in the input text: `/slow <ms>`, `/cut <n>`,
 * `/end <variant>`, `/rounds <n>` and `/tool <name> {<args>}`. They combine
 * with each other and with ordinary text, and are removed before the scripted
 * model reads the text (the persisted user message keeps the text as sent). A
 * directive with a bad argument, or a `/tool` naming a tool the request does
 * not offer, is not a directive and stays ordinary text.
 *
 * Each directive is its keyword, whitespace and its argument: one
 * whitespace-separated word, except for `/tool`, whose arguments are the
 * brace-balanced `{...}` that follows the tool name (braces inside JSON
 * strings do not count), ended by whitespace or the end of the text.
 */

import type { PlannedCall } from "./toolCalls.js"

/** How a stream ends (PROTOCOL §1.4 and §4). `normal` is the default tail. */
const endVariants = [
  "normal",
  "error-after-output",
  "error-plain",
  "cancelled",
  "cancelled-step",
  "cancelled-event",
  "retry",
  "no-done",
  "pings-only"
] as const

export type EndVariant = typeof endVariants[number]

/** Everything the directives of one input text ask for; `none` when it has none. */
export interface TurnDirectives {
  /** server-clock milliseconds to wait before each event after the initial ping */
  readonly slowMillis: number
  /** destroy the socket after writing this many events (pings included) */
  readonly cutAfter: number | undefined
  readonly end: EndVariant
  /** how many times the client answers the turn's tool calls before the model replies */
  readonly rounds: number
  /** the `/tool` calls, in the order written, their arguments exactly as written (valid JSON or not) */
  readonly tools: ReadonlyArray<PlannedCall>
}

export const none: TurnDirectives = { slowMillis: 0, cutAfter: undefined, end: "normal", rounds: 1, tools: [] }

const pattern = /(^|\s+)\/(slow|cut|end|rounds)\s+(\S+)(?=\s|$)/g

const toolPattern = /(^|\s+)\/tool\s+([A-Za-z0-9_-]+)\s+(?=\{)/g

const isEndVariant = (word: string): word is EndVariant => (endVariants as ReadonlyArray<string>).includes(word)

/** Where the `{...}` that opens at `start` closes (just past its `}`), or -1 when it never does. */
const balancedEnd = (text: string, start: number): number => {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === "\"") inString = false
    } else if (c === "\"") inString = true
    else if (c === "{") depth++
    else if (c === "}" && --depth === 0) return i + 1
  }
  return -1
}

/** The `/tool` directives naming an offered tool, and the text without them. */
const parseTools = (
  text: string,
  isOffered: (name: string) => boolean
): { readonly tools: ReadonlyArray<PlannedCall>; readonly text: string } => {
  const tools: Array<PlannedCall> = []
  let kept = ""
  let from = 0
  toolPattern.lastIndex = 0
  for (let match = toolPattern.exec(text); match !== null; match = toolPattern.exec(text)) {
    const open = match.index + match[0].length
    const close = balancedEnd(text, open)
    const name = match[2]!
    if (close === -1 || (close < text.length && !/\s/.test(text[close]!)) || !isOffered(name)) {
      // Not a directive: look for the next one after this keyword, inside its would-be arguments too.
      toolPattern.lastIndex = match.index + match[1]!.length + 1
      continue
    }
    tools.push({ name, arguments: text.slice(open, close) })
    // The directive takes its leading whitespace with it; the next word keeps its own.
    kept += text.slice(from, match.index)
    from = close
    toolPattern.lastIndex = close
  }
  return { tools, text: kept + text.slice(from) }
}

/**
 * The directives in `text` (the last of each single-valued kind wins, every
 * `/tool` counts) and the text without them. `isOffered` says which tool
 * names the request offers; without it no `/tool` is a directive.
 */
export const parse = (
  text: string,
  isOffered: (name: string) => boolean = () => false
): { readonly directives: TurnDirectives; readonly text: string } => {
  const { text: withoutTools, tools } = parseTools(text, isOffered)
  let slowMillis = 0
  let cutAfter: number | undefined
  let end: EndVariant = "normal"
  let rounds = 1
  const stripped = withoutTools.replace(pattern, (whole, _lead: string, name: string, arg: string) => {
    if (name === "end") {
      if (!isEndVariant(arg)) return whole
      end = arg
    } else if (name === "rounds") {
      if (!/^\d{1,3}$/.test(arg) || Number(arg) < 1 || Number(arg) > 100) return whole
      rounds = Number(arg)
    } else {
      if (!/^\d{1,9}$/.test(arg)) return whole
      if (name === "slow") slowMillis = Number(arg)
      else cutAfter = Number(arg)
    }
    return ""
  })
  return {
    directives: { slowMillis, cutAfter, end, rounds, tools },
    text: stripped === text ? text : stripped.trim()
  }
}
