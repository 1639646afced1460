/**
 * A JSON reader that accepts and rejects exactly what CPython's `json.loads`
 * does, and reports the same message and character offset on failure.
 *
 * FastAPI turns a `JSONDecodeError` into a 422 whose error carries
 * `loc: ('body', <offset>)` and `ctx: {'error': <message>}`, so matching the
 * decoder (including its NaN/Infinity extensions) keeps those bodies faithful.
 */

export type PyJsonResult =
  | { readonly _tag: "Ok"; readonly value: unknown }
  | { readonly _tag: "Error"; readonly msg: string; readonly pos: number }
  | { readonly _tag: "TooDeep" }

// Thrown only inside the recursive reader and always caught by `parse`, which returns a value.
class DecodeError {
  constructor(readonly msg: string, readonly pos: number) {}
}

const isWs = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r"

const setKey = (obj: Record<string, unknown>, key: string, value: unknown) => {
  // defineProperty keeps keys such as "__proto__" as plain data, as Python dicts do.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

const numberPattern = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y

const simpleEscapes: Readonly<Record<string, string>> = {
  "\"": "\"",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}

class Reader {
  constructor(readonly s: string) {}

  skipWs(idx: number): number {
    while (idx < this.s.length && isWs(this.s[idx])) idx++
    return idx
  }

  // Mirrors scan_once: throws DecodeError("Expecting value", idx) where Python raises StopIteration.
  value(idx: number): [unknown, number] {
    const s = this.s
    if (idx >= s.length) throw new DecodeError("Expecting value", idx)
    const c = s[idx]
    if (c === "\"") return this.string(idx + 1)
    if (c === "{") return this.object(idx + 1)
    if (c === "[") return this.array(idx + 1)
    if (c === "n" && s.startsWith("null", idx)) return [null, idx + 4]
    if (c === "t" && s.startsWith("true", idx)) return [true, idx + 4]
    if (c === "f" && s.startsWith("false", idx)) return [false, idx + 5]
    if (c === "N" && s.startsWith("NaN", idx)) return [Number.NaN, idx + 3]
    if (c === "I" && s.startsWith("Infinity", idx)) return [Number.POSITIVE_INFINITY, idx + 8]
    if (c === "-" && s.startsWith("-Infinity", idx)) return [Number.NEGATIVE_INFINITY, idx + 9]
    numberPattern.lastIndex = idx
    const m = numberPattern.exec(s)
    if (m !== null && m[0] !== "" && m[0] !== "-") {
      return [Number(m[0]), idx + m[0].length]
    }
    throw new DecodeError("Expecting value", idx)
  }

  // Mirrors the C scanstring (strict=True): `end` is the index just after the opening quote.
  string(end: number): [string, number] {
    const s = this.s
    const begin = end - 1
    let out = ""
    let next = end
    for (;;) {
      let c: string | undefined
      for (; next < s.length; next++) {
        c = s[next]
        if (c === "\"" || c === "\\") break
        if (c!.charCodeAt(0) <= 0x1f) throw new DecodeError("Invalid control character at", next)
      }
      if (next >= s.length) throw new DecodeError("Unterminated string starting at", begin)
      out += s.slice(end, next)
      c = s[next]
      next++
      if (c === "\"") return [out, next]
      if (next === s.length) throw new DecodeError("Unterminated string starting at", begin)
      c = s[next]
      if (c !== "u") {
        end = next + 1
        const decoded = Object.prototype.hasOwnProperty.call(simpleEscapes, c!) ? simpleEscapes[c!] : undefined
        if (decoded === undefined) throw new DecodeError("Invalid \\escape", end - 2)
        out += decoded
        next = end
        continue
      }
      next++
      end = next + 4
      if (end >= s.length) throw new DecodeError("Invalid \\uXXXX escape", next - 1)
      const unit = this.hex4(next, end)
      next = end
      let code = unit
      if (unit >= 0xd800 && unit <= 0xdbff && end + 6 < s.length && s[next] === "\\" && s[next + 1] === "u") {
        const low = this.hex4(next + 2, next + 6)
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
          end += 6
          next = end
        }
      }
      out += String.fromCodePoint(code)
      end = next
    }
  }

  hex4(from: number, to: number): number {
    const text = this.s.slice(from, to)
    if (!/^[0-9a-fA-F]{4}$/.test(text)) throw new DecodeError("Invalid \\uXXXX escape", to - 5)
    return parseInt(text, 16)
  }

  object(idx: number): [Record<string, unknown>, number] {
    const s = this.s
    const obj: Record<string, unknown> = {}
    idx = this.skipWs(idx)
    if (idx >= s.length || s[idx] !== "}") {
      for (;;) {
        if (idx >= s.length || s[idx] !== "\"") {
          throw new DecodeError("Expecting property name enclosed in double quotes", idx)
        }
        const [key, afterKey] = this.string(idx + 1)
        idx = this.skipWs(afterKey)
        if (idx >= s.length || s[idx] !== ":") throw new DecodeError("Expecting ':' delimiter", idx)
        idx = this.skipWs(idx + 1)
        const [value, afterValue] = this.value(idx)
        setKey(obj, key, value)
        idx = this.skipWs(afterValue)
        if (idx < s.length && s[idx] === "}") break
        if (idx >= s.length || s[idx] !== ",") throw new DecodeError("Expecting ',' delimiter", idx)
        idx = this.skipWs(idx + 1)
      }
    }
    return [obj, idx + 1]
  }

  array(idx: number): [Array<unknown>, number] {
    const s = this.s
    const arr: Array<unknown> = []
    idx = this.skipWs(idx)
    if (idx >= s.length || s[idx] !== "]") {
      for (;;) {
        const [value, after] = this.value(idx)
        arr.push(value)
        idx = this.skipWs(after)
        if (idx < s.length && s[idx] === "]") break
        if (idx >= s.length || s[idx] !== ",") throw new DecodeError("Expecting ',' delimiter", idx)
        idx = this.skipWs(idx + 1)
      }
    }
    return [arr, idx + 1]
  }
}

/** `json.loads(text)` */
export const parse = (text: string): PyJsonResult => {
  if (text.startsWith("\ufeff")) return { _tag: "Error", msg: "Unexpected UTF-8 BOM (decode using utf-8-sig)", pos: 0 }
  const reader = new Reader(text)
  try {
    const [value, end] = reader.value(reader.skipWs(0))
    const rest = reader.skipWs(end)
    if (rest !== text.length) return { _tag: "Error", msg: "Extra data", pos: rest }
    return { _tag: "Ok", value }
  } catch (e) {
    if (e instanceof DecodeError) return { _tag: "Error", msg: e.msg, pos: e.pos }
    // Only stack exhaustion on absurdly deep nesting lands here; Python raises RecursionError,
    // which FastAPI reports as an unparseable body rather than a decode error.
    return { _tag: "TooDeep" }
  }
}

/**
 * Decode request bytes the way `json.loads(bytes)` does: UTF-8 (a leading BOM is
 * dropped), failing on invalid byte sequences.
 */
export const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes)
    return text
  } catch {
    return undefined
  }
}
