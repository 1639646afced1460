/**
 * Python `repr()` rendering.
 *
 * The real server's 422 handler puts `repr(exc.errors())` into `detail`, so the
 * body a client sees is Python syntax inside a JSON string. Clients must not
 * parse it, but tests compare it, so it is rendered the way CPython would.
 */

/** A Python tuple (pydantic error `loc`s are tuples). */
export class PyTuple {
  constructor(readonly items: ReadonlyArray<unknown>) {}
}

/** Text that is already Python source, e.g. `ValueError("...")` or `b'...'`. */
export class PyRaw {
  constructor(readonly text: string) {}
}

/** A number that Python holds as a float even when it is integral (`1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

// Python's str.isprintable() is false for these categories (space excepted).
const nonPrintable = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

const hex = (code: number, width: number) => code.toString(16).padStart(width, "0")

/** `repr(str)` */
export const reprString = (s: string): string => {
  const quote = s.includes("'") && !s.includes("\"") ? "\"" : "'"
  let out = quote
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === quote || ch === "\\") out += "\\" + ch
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch !== " " && nonPrintable.test(ch)) {
      out += code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`
    } else out += ch
  }
  return out + quote
}

/** `repr(float)`: shortest round-trip digits, scientific outside 1e-4 <= |x| < 1e16. */
export const reprFloat = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0"
  const [mantissa, expText] = x.toExponential().split("e")
  const exp = Number(expText)
  const negative = mantissa!.startsWith("-")
  const digits = mantissa!.replace("-", "").replace(".", "")
  const sign = negative ? "-" : ""
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0")
    const frac = digits.slice(exp + 1)
    return `${sign}${intPart}.${frac === "" ? "0" : frac}`
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  const e = Math.abs(exp).toString().padStart(2, "0")
  return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`
}

/** `repr(value)` for JSON-like values plus the marker classes above. */
export const repr = (value: unknown): string => {
  if (value === null || value === undefined) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (typeof value === "string") return reprString(value)
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : reprFloat(value)
  if (typeof value === "bigint") return value.toString()
  if (value instanceof PyRaw) return value.text
  if (value instanceof PyFloat) return reprFloat(value.value)
  if (value instanceof PyTuple) {
    const items = value.items.map(repr)
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`
  }
  if (Array.isArray(value)) return `[${value.map(repr).join(", ")}]`
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${reprString(k)}: ${repr(v)}`)
    return `{${entries.join(", ")}}`
  }
  return reprString(String(value))
}

/** `repr(b"...")` for request bodies pydantic saw as bytes. */
export const reprBytes = (bytes: Uint8Array): string => {
  let hasSingle = false
  let hasDouble = false
  for (const b of bytes) {
    if (b === 0x27) hasSingle = true
    if (b === 0x22) hasDouble = true
  }
  const quote = hasSingle && !hasDouble ? "\"" : "'"
  let out = "b" + quote
  for (const b of bytes) {
    const ch = String.fromCharCode(b)
    if (ch === quote || ch === "\\") out += "\\" + ch
    else if (b === 0x0a) out += "\\n"
    else if (b === 0x0d) out += "\\r"
    else if (b === 0x09) out += "\\t"
    else if (b < 0x20 || b >= 0x7f) out += `\\x${hex(b, 2)}`
    else out += ch
  }
  return out + quote
}

/** `repr(ValueError("..."))` */
export const reprException = (name: string, message: string): PyRaw => new PyRaw(`${name}(${reprString(message)})`)
