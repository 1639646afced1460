/**
 * The WHATWG EventSource parsing algorithm over a whole input at once, written for clarity
 * rather than speed: the specification the incremental decoder is checked against. With a
 * `maxEventSize` it also applies the decoder's documented bound (`Sse.DecodeOptions`): an
 * event's data (each value plus one) may not exceed it, and no line, complete or left
 * unfinished at the end, may exceed it by more than `"data: ".length` on top of the data
 * its event already holds.
 */
import type { Sse } from "effect-letta"

export interface ReferenceResult {
  /** Everything dispatched, in order (up to the oversized event). */
  readonly items: ReadonlyArray<Sse.Item>
  /** An event or line went over the bound. */
  readonly tooLarge: boolean
}

const lineSlack = "data: ".length

export const referenceParse = (text: string, maxEventSize = Number.POSITIVE_INFINITY): ReferenceResult => {
  const items: Array<Sse.Item> = []
  const body = text.startsWith("\ufeff") ? text.slice(1) : text
  const lines = body.split(/\r\n|\r|\n/)
  // The last piece is not a complete line: it is never processed, only bounded.
  const tail = lines.pop() ?? ""
  let data: Array<string> | undefined
  let type = ""
  let id = ""
  let size = 0
  const tooLarge = () => ({ items, tooLarge: true })
  for (const line of lines) {
    if (line === "") {
      if (data !== undefined) items.push({ _tag: "Event", event: type || "message", data: data.join("\n"), id })
      data = undefined
      type = ""
      size = 0
      continue
    }
    const colon = line.indexOf(":")
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? "" : line.slice(colon + 1)
    if (value.startsWith(" ")) value = value.slice(1)
    if (field === "data") {
      size += value.length + 1
      if (size > maxEventSize) return tooLarge()
      ;(data ??= []).push(value)
      continue
    }
    if (size + line.length > maxEventSize + lineSlack) return tooLarge()
    if (line.startsWith(":")) continue
    if (field === "event") type = value
    else if (field === "id" && !value.includes("\0")) id = value
    else if (field === "retry" && /^\d+$/.test(value)) items.push({ _tag: "Retry", millis: Number(value) })
  }
  if (size + tail.length > maxEventSize + lineSlack) return tooLarge()
  return { items, tooLarge: false }
}

/** The items alone, for inputs within the bound. */
export const reference = (text: string): ReadonlyArray<Sse.Item> => referenceParse(text).items
