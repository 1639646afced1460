import { describe, expect, it } from "@effect/vitest"
import * as Ids from "../../src/testing/internal/ids.js"
import * as PyJson from "../../src/testing/internal/pyjson.js"
import { PyFloat, PyTuple, repr, reprFloat, reprString } from "../../src/testing/internal/pyrepr.js"
import * as Wire from "../../src/testing/internal/wire.js"

// Expected values are what CPython 3.12 prints.
describe("Python repr", () => {
  it("quotes strings like CPython", () => {
    expect(reprString("abc")).toBe("'abc'")
    expect(reprString("it's")).toBe("\"it's\"")
    expect(reprString("say \"hi\"")).toBe("'say \"hi\"'")
    expect(reprString("both ' and \"")).toBe("'both \\' and \"'")
    expect(reprString("a\nb\tc\\")).toBe("'a\\nb\\tc\\\\'")
    expect(reprString("\x00\x7f\u00a0é\u2028😀")).toBe("'\\x00\\x7f\\xa0é\\u2028😀'")
  })

  it("renders containers, tuples and constants", () => {
    expect(repr({ a: [1, null, true], b: new PyTuple([1]), c: new PyTuple(["x", 2]) })).toBe(
      "{'a': [1, None, True], 'b': (1,), 'c': ('x', 2)}"
    )
    expect(repr(false)).toBe("False")
  })

  it("renders floats with the shortest round-trip repr", () => {
    expect(reprFloat(0.1)).toBe("0.1")
    expect(reprFloat(1e16)).toBe("1e+16")
    expect(reprFloat(1e15)).toBe("1000000000000000.0")
    expect(reprFloat(1.5e-5)).toBe("1.5e-05")
    expect(reprFloat(0.0001)).toBe("0.0001")
    expect(reprFloat(-2.5e-7)).toBe("-2.5e-07")
    expect(reprFloat(123.456)).toBe("123.456")
    expect(reprFloat(1.7976931348623157e308)).toBe("1.7976931348623157e+308")
    expect(Wire.stringify({ t: new PyFloat(1), n: 1 })).toBe("{\"t\":1.0,\"n\":1}")
  })
})

describe("Python json.loads", () => {
  const error = (text: string) => PyJson.parse(text)

  it("accepts what json.loads accepts", () => {
    expect(PyJson.parse("{\"a\": [1, 2.5, true, null, \"x\\u00e9\\ud83d\\ude00\"]}")).toEqual({
      _tag: "Ok",
      value: { a: [1, 2.5, true, null, "xé😀"] }
    })
    const special = PyJson.parse("[NaN, Infinity, -Infinity]")
    expect(special._tag === "Ok" && (special.value as Array<number>).map(String)).toEqual(["NaN", "Infinity", "-Infinity"])
    const proto = PyJson.parse("{\"__proto__\": 1}")
    expect(proto._tag === "Ok" && Object.keys(proto.value as object)).toEqual(["__proto__"])
  })

  it("fails with the decoder's message and offset", () => {
    expect(error("")).toEqual({ _tag: "Error", msg: "Expecting value", pos: 0 })
    expect(error("  ")).toEqual({ _tag: "Error", msg: "Expecting value", pos: 2 })
    expect(error("{\"a\":1,}")).toEqual({ _tag: "Error", msg: "Expecting property name enclosed in double quotes", pos: 7 })
    expect(error("[1,]")).toEqual({ _tag: "Error", msg: "Expecting value", pos: 3 })
    expect(error("{\"a\" 1}")).toEqual({ _tag: "Error", msg: "Expecting ':' delimiter", pos: 5 })
    expect(error("[1 2]")).toEqual({ _tag: "Error", msg: "Expecting ',' delimiter", pos: 3 })
    expect(error("\"abc")).toEqual({ _tag: "Error", msg: "Unterminated string starting at", pos: 0 })
    expect(error("\"a\\qb\"")).toEqual({ _tag: "Error", msg: "Invalid \\escape", pos: 2 })
    expect(error("\"\\u00\"")).toEqual({ _tag: "Error", msg: "Invalid \\uXXXX escape", pos: 2 })
    expect(error("\"a\u0001\"")).toEqual({ _tag: "Error", msg: "Invalid control character at", pos: 2 })
    expect(error("{} x")).toEqual({ _tag: "Error", msg: "Extra data", pos: 3 })
    expect(error("01")).toEqual({ _tag: "Error", msg: "Extra data", pos: 1 })
    expect(error("-")).toEqual({ _tag: "Error", msg: "Expecting value", pos: 0 })
    expect(error("\ufeff{}")).toEqual({ _tag: "Error", msg: "Unexpected UTF-8 BOM (decode using utf-8-sig)", pos: 0 })
  })
})

describe("wire formats", () => {
  it("derives part otids from the message id like generate_otid_from_id", () => {
    const id = "message-12345678-1234-4234-8234-1234567890ff"
    expect(Ids.otidFromId(id, 0)).toBe("12345678-1234-4234-8234-123456789080")
    expect(Ids.otidFromId(id, 5)).toBe("12345678-1234-4234-8234-123456789085")
  })

  it("formats the three kinds of dates", () => {
    const ms = Date.UTC(2026, 7, 1, 12, 0, 5, 123)
    expect(Wire.messageDate(ms)).toBe("2026-08-01T12:00:05+00:00")
    expect(Wire.utcDateTime(ms)).toBe("2026-08-01T12:00:05.123000Z")
    expect(Wire.naiveDateTime(ms)).toBe("2026-08-01T12:00:05.123000")
    // pydantic leaves the fraction out when it is zero.
    expect(Wire.utcDateTime(Date.UTC(2026, 7, 1))).toBe("2026-08-01T00:00:00Z")
  })
})

describe("Python json.dumps", () => {
  it("spaces its separators and escapes everything outside printable ASCII", () => {
    expect(Wire.dumps({ error: "héllo \"q\" \\ \n\t\x7f 😀 </", code: 1, l: [true, null, 1.5] })).toBe(
      "{\"error\": \"h\\u00e9llo \\\"q\\\" \\\\ \\n\\t\\u007f \\ud83d\\ude00 </\", \"code\": 1, \"l\": [true, null, 1.5]}"
    )
    expect(Wire.dumps({ message_type: "stop_reason", stop_reason: "cancelled" })).toBe(
      "{\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}"
    )
  })
})
