/**
 * Walks the server's OpenAPI spec (when ../shared is present) from the operations this
 * client covers, and checks every component schema it reaches against ours: same property
 * names, same required-ness on the wire (the schema's encoded side), same enum values and
 * union members. Every deliberate difference is listed below with its reason; anything
 * else fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema, SchemaAST } from "effect"
import { Schemas } from "effect-letta"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const specPath = fileURLToPath(new URL("../../../shared/letta/openapi.json", import.meta.url))

interface Component {
  readonly properties?: Record<string, unknown>
  readonly required?: ReadonlyArray<string>
  readonly enum?: ReadonlyArray<string>
  readonly oneOf?: ReadonlyArray<{ readonly $ref?: string }>
  readonly anyOf?: ReadonlyArray<{ readonly $ref?: string }>
}

const operations: ReadonlyArray<readonly [string, string]> = [
  ["get", "/v1/agents/{agent_id}/messages"],
  ["post", "/v1/agents/{agent_id}/messages"],
  ["post", "/v1/agents/{agent_id}/messages/stream"],
  ["post", "/v1/agents/{agent_id}/messages/async"],
  ["post", "/v1/agents/{agent_id}/messages/cancel"],
  ["patch", "/v1/agents/{agent_id}/reset-messages"],
  ["post", "/v1/agents/{agent_id}/summarize"],
  ["get", "/v1/runs/"],
  ["get", "/v1/runs/{run_id}"],
  ["delete", "/v1/runs/{run_id}"],
  ["get", "/v1/runs/{run_id}/messages"],
  ["get", "/v1/runs/{run_id}/steps"],
  ["get", "/v1/runs/{run_id}/usage"],
  ["post", "/v1/runs/{run_id}/stream"],
  ["get", "/v1/conversations/{conversation_id}/messages"],
  ["post", "/v1/conversations/{conversation_id}/messages"],
  ["post", "/v1/conversations/{conversation_id}/stream"],
  ["post", "/v1/conversations/{conversation_id}/cancel"]
]

/** Components whose names collide or shadow a global: OpenAPI name → our name. */
const renamed: Record<string, string> = {
  "letta__schemas__message__ToolReturn-Output": "MessageToolReturn",
  "Function-Output": "ToolCallFunction"
}

/** `letta__schemas__letta_message__ToolReturn` → `ToolReturn`, `CompactionSettings-Input` → `CompactionSettings`. */
const ourName = (component: string) =>
  renamed[component] ?? component.split("__").pop()!.replace(/-(Input|Output)$/, "")

const messageTypes = [
  "SystemMessage", "UserMessage", "ReasoningMessage", "HiddenReasoningMessage", "ToolCallMessage",
  "ToolReturnMessage", "AssistantMessage", "ApprovalRequestMessage", "ApprovalResponseMessage", "SummaryMessage",
  "EventMessage", "LettaPing", "LettaStopReason", "LettaUsageStatistics"
]
const modelSettings = [
  "OpenAIModelSettings", "SGLangModelSettings", "AnthropicModelSettings", "GoogleAIModelSettings",
  "GoogleVertexModelSettings", "AzureModelSettings", "XAIModelSettings", "ZAIModelSettings", "GroqModelSettings",
  "DeepseekModelSettings", "TogetherModelSettings", "BedrockModelSettings", "BasetenModelSettings",
  "OpenRouterModelSettings", "ChatGPTOAuthModelSettings"
]

/** Deliberate differences in required-ness: `schema.property` → why. */
const requiredDeviations: Record<string, string> = {
  ...Object.fromEntries(messageTypes.map((name) => [
    `${name}.message_type`,
    "required: the server always sends it (PROTOCOL.md §8) and the message unions are told apart by it"
  ])),
  ...Object.fromEntries(modelSettings.map((name) => [
    `${name}.provider_type`,
    "required: most settings have no required field of their own, so nothing else says which provider is meant"
  ])),
  "LettaPing.id": "optional: Letta's own CLI sends bare pings in tests; a ping is only read for run_id/seq_id",
  "LettaPing.date": "optional: as LettaPing.id",
  "Run.id": "required: the server always sends it, and a run without an id cannot be polled"
}

/** Components modeled as open records: only the listed common fields are typed. */
const openRecords: Record<string, string> = {
  AgentState: "the issue allows an open record; 60+ fields of agent configuration are kept as received"
}

/** Deliberate differences in union membership. */
const unionDeviations: Record<string, { readonly extra: ReadonlyArray<string>; readonly why: string }> = {
  LettaMessageContentUnion: {
    extra: ["SummarizedReasoningContent"],
    why: "the server accepts summarized_reasoning parts; the spec's hand-written union omits it (PROTOCOL.md §8)"
  }
}

/** Unwraps refinements, transformations and suspensions down to the struct underneath. */
const typeLiteralOf = (ast: SchemaAST.AST): SchemaAST.TypeLiteral | undefined => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast
    case "Refinement":
      return typeLiteralOf(ast.from)
    case "Transformation":
      return typeLiteralOf(ast.from)
    case "Suspend":
      return typeLiteralOf(ast.f())
    default:
      return undefined
  }
}

const wireShape = (schema: Schema.Schema.Any) => {
  const literal = typeLiteralOf(SchemaAST.encodedAST(schema.ast))
  if (literal === undefined) throw new Error(`not an object schema: ${String(schema.ast)}`)
  return new Map(literal.propertySignatures.map((p) => [String(p.name), !p.isOptional]))
}

const literalsOf = (schema: Schema.Schema.Any): Array<string> => {
  const ast = SchemaAST.encodedAST(schema.ast)
  const members = ast._tag === "Union" ? ast.types : [ast]
  return members.map((m) => (m._tag === "Literal" ? String(m.literal) : `<${m._tag}>`)).sort()
}

const identifierOf = (ast: SchemaAST.AST): string => {
  const id = SchemaAST.getIdentifierAnnotation(ast)
  return id._tag === "Some" ? id.value : ast._tag
}

const unionMemberNames = (schema: Schema.Schema.Any): Array<string> => {
  // `Schema.Union` of a single member is that member, re-annotated; `identifierOf` reads the
  // class's own identifier underneath.
  const members = schema.ast._tag === "Union" ? schema.ast.types : [schema.ast]
  return members.map(identifierOf).map((name) => name === "UnknownMessageFromWire" ? "UnknownMessage" : name).sort()
}

describe.skipIf(!existsSync(specPath))("OpenAPI conformance (../shared/letta/openapi.json)", () => {
  const spec = existsSync(specPath)
    ? JSON.parse(readFileSync(specPath, "utf8")) as {
      readonly paths: Record<string, Record<string, unknown>>
      readonly components: { readonly schemas: Record<string, Component> }
    }
    : undefined
  if (spec === undefined) return
  const components = spec.components.schemas

  const refsOf = function*(node: unknown): Generator<string> {
    if (Array.isArray(node)) for (const item of node) yield* refsOf(item)
    else if (typeof node === "object" && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string") yield value.split("/").pop()!
        else yield* refsOf(value)
      }
    }
  }
  const reachable = new Set<string>()
  const pending = operations.flatMap(([method, path]) => [...refsOf(spec.paths[path][method])])
  while (pending.length > 0) {
    const name = pending.pop()!
    if (reachable.has(name)) continue
    reachable.add(name)
    // An open record: what it references is not modeled.
    if (!(name in openRecords)) pending.push(...refsOf(components[name]))
  }
  const schemas = Schemas as unknown as Record<string, Schema.Schema.Any>

  it("reaches about 95 components, and every one has a schema of the same name", () => {
    expect(reachable.size).toBeGreaterThanOrEqual(90)
    const missing = [...reachable].filter((name) => !Schema.isSchema(schemas[ourName(name)]))
    expect(missing).toEqual([])
  })

  for (const name of [...reachable].sort()) {
    const component = components[name]
    const schema = schemas[ourName(name)]
    if (component.properties !== undefined) {
      it(`${name}: property names and required-ness`, () => {
        const ours = wireShape(schema)
        const specProps = Object.keys(component.properties!).sort()
        if (name in openRecords) {
          // Every typed field exists in the spec; the rest are kept as received.
          expect([...ours.keys()].filter((key) => !specProps.includes(key))).toEqual([])
          return
        }
        expect([...ours.keys()].sort()).toEqual(specProps)
        const specRequired = new Set(component.required ?? [])
        const mismatches = specProps.filter((prop) =>
          ours.get(prop) !== specRequired.has(prop) && !(`${ourName(name)}.${prop}` in requiredDeviations)
        )
        expect(mismatches).toEqual([])
      })
    } else if (component.enum !== undefined) {
      it(`${name}: enum values`, () => {
        expect(literalsOf(schema)).toEqual([...component.enum!].sort())
      })
    } else if (component.oneOf !== undefined || component.anyOf !== undefined) {
      it(`${name}: union members`, () => {
        const specMembers = (component.oneOf ?? component.anyOf ?? []).map((m) => ourName(m.$ref!.split("/").pop()!))
        const extra = unionDeviations[name]?.extra ?? []
        const ours = unionMemberNames(schema).filter((member) => member !== "UnknownMessage")
        expect(ours).toEqual([...specMembers, ...extra].sort())
      })
    }
  }

  it("lists only deviations that still apply", () => {
    // A stale entry would hide a real mismatch later.
    for (const key of Object.keys(requiredDeviations)) {
      const [schemaName, prop] = key.split(".")
      const component = Object.entries(components).find(([name]) => ourName(name) === schemaName)?.[1]
      expect(component?.properties?.[prop], key).toBeDefined()
      const specRequired = (component?.required ?? []).includes(prop)
      expect(wireShape(schemas[schemaName]).get(prop), key).not.toBe(specRequired)
    }
  })
})
