import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { Schemas } from "effect-letta"

// Every schema the package exports, found by walking the namespace, so a schema added later
// is covered without touching this file.
const exported = Object.entries(Schemas as Record<string, unknown>).filter(
  (entry): entry is [string, Schema.Schema<unknown, unknown>] => Schema.isSchema(entry[1])
)

describe("every exported schema round-trips through JSON", () => {
  it("exports the ~95 schemas of the messages, runs and conversations APIs", () => {
    expect(exported.length).toBeGreaterThanOrEqual(95)
  })

  for (const [name, schema] of exported) {
    const encode = Schema.encodeSync(schema)
    const decode = Schema.decodeUnknownSync(schema)
    it.prop(`${name}`, [schema], ([value]) => {
      // The wire form: what the encoder writes, after a trip through JSON text.
      const wire = JSON.parse(JSON.stringify(encode(value)))
      const decoded = decode(wire)
      expect(decoded).toEqual(value)
      expect(JSON.parse(JSON.stringify(encode(decoded)))).toEqual(wire)
    }, { fastCheck: { numRuns: 40 } })
  }
})
