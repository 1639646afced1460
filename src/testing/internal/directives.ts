/**
 * Per-request stream control hidden in the input text: `/slow <ms>`,
 * `/cut <n>` and `/end <variant>`. They combine with each other and with
 * ordinary text; each is one whitespace-separated word plus its argument, and
 * is removed before the scripted model reads the text (the persisted user
 * message keeps the text as sent). A directive with a bad argument is not a
 * directive and stays ordinary text.
 */

/** How a stream ends (PROTOCOL §1.4 and §4). `normal` is the default tail. */
export const endVariants = [
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

export interface StreamDirectives {
  /** server-clock milliseconds to wait before each event after the initial ping */
  readonly slowMillis: number
  /** destroy the socket after writing this many events (pings included) */
  readonly cutAfter: number | undefined
  readonly end: EndVariant
}

export const none: StreamDirectives = { slowMillis: 0, cutAfter: undefined, end: "normal" }

const pattern = /(^|\s+)\/(slow|cut|end)\s+(\S+)(?=\s|$)/g

const isEndVariant = (word: string): word is EndVariant => (endVariants as ReadonlyArray<string>).includes(word)

/** The directives in `text` (the last of each kind wins) and the text without them. */
export const parse = (text: string): { readonly directives: StreamDirectives; readonly text: string } => {
  let slowMillis = 0
  let cutAfter: number | undefined
  let end: EndVariant = "normal"
  const stripped = text.replace(pattern, (whole, _lead: string, name: string, arg: string) => {
    if (name === "end") {
      if (!isEndVariant(arg)) return whole
      end = arg
    } else {
      if (!/^\d{1,9}$/.test(arg)) return whole
      if (name === "slow") slowMillis = Number(arg)
      else cutAfter = Number(arg)
    }
    // The directive takes its leading whitespace with it; the next word keeps its own.
    return ""
  })
  return { directives: { slowMillis, cutAfter, end }, text: stripped === text ? text : stripped.trim() }
}
