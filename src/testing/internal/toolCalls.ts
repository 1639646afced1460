/**
 * Which tools the scripted model calls, and with what arguments, when its
 * input names tools instead of spelling the calls out with `/tool`.
 *
 * A tool is named when its name occurs in the text as a whole word (any
 * case). Its arguments are synthesized from its `parameters` JSON Schema,
 * property by property in declaration order:
 *
 * - `number` / `integer`: the next number of the text not used yet
 *   (`-?\d+(\.\d+)?`), else `0`;
 * - `string` with `enum`: the enum value that occurs first in the text as a
 *   whole word (any case), else the first enum value;
 * - other `string`: the first double-quoted string of the text, else the whole text;
 * - `boolean`: `false`;
 * - anything else is left out.
 */

/** A tool the model may call: a request's client tool or the agent's approval tool. */
export interface OfferedTool {
  readonly name: string
  /** its JSON Schema, when it has one */
  readonly parameters: unknown
}

/** A call before it gets its id: `arguments` as the model writes them, valid JSON or not. */
export interface PlannedCall {
  readonly name: string
  readonly arguments: string
}

/**
 * The server-side tool every agent has and that requires approval (as a
 * `requires_approval` tool rule would make it): once approved the server runs it.
 */
export const approvalTool = {
  name: "delete_records",
  parameters: {
    type: "object",
    properties: { table: { type: "string" } },
    required: ["table"]
  }
} as const satisfies OfferedTool

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

// A name's letters, digits and underscores must not run on into the surrounding text.
const wordPattern = (word: string, flags: string) =>
  new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(word)}(?![A-Za-z0-9_])`, flags)

const occursAsWord = (text: string, word: string): boolean => word !== "" && wordPattern(word, "i").test(text)

/** A schema `type`, or the first non-null one of a type list. */
const typeOf = (schema: Record<string, unknown>): unknown =>
  Array.isArray(schema["type"]) ? schema["type"].find((t) => t !== "null") : schema["type"]

/** Arguments for `parameters`, read off `text` (see the module comment). */
const synthesizeArguments = (parameters: unknown, text: string): string => {
  const properties = isRecord(parameters) && isRecord(parameters["properties"]) ? parameters["properties"] : {}
  const numbers = text.match(/-?\d+(\.\d+)?/g) ?? []
  let nextNumber = 0
  const quoted = /"([^"]*)"/.exec(text)?.[1]
  const args: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(properties)) {
    if (!isRecord(schema)) continue
    switch (typeOf(schema)) {
      case "number":
      case "integer": {
        const next = numbers[nextNumber++]
        args[key] = next === undefined ? 0 : Number(next)
        break
      }
      case "string": {
        if (Array.isArray(schema["enum"])) {
          const values = schema["enum"].filter((v): v is string => typeof v === "string")
          const found = values
            .map((value) => ({ value, at: value === "" ? -1 : text.search(wordPattern(value, "i")) }))
            .filter((f) => f.at >= 0)
            .sort((a, b) => a.at - b.at)[0]
          if (found !== undefined) args[key] = found.value
          else if (values.length > 0) args[key] = values[0]
        } else {
          args[key] = quoted ?? text
        }
        break
      }
      case "boolean":
        args[key] = false
        break
    }
  }
  return JSON.stringify(args)
}

/** The offered tools `text` names, in offering order, with synthesized arguments. */
export const callsNamedIn = (text: string, tools: ReadonlyArray<OfferedTool>): ReadonlyArray<PlannedCall> =>
  tools
    .filter((tool) => occursAsWord(text, tool.name))
    .map((tool) => ({ name: tool.name, arguments: synthesizeArguments(tool.parameters, text) }))
