/**
 * Every payload in ../shared/letta/examples decodes with the schema for what it is (skipped
 * when ../shared is absent). Some payloads come from Letta's docs and CLI fixtures, which
 * abbreviate messages (no `date`, no `id`, a bare `stop_reason` string, `{...}`); those are
 * listed below with the field they lack and must fail with a typed ParseError — never a
 * defect, and never a silent pass.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, ParseResult, Schema } from "effect"
import { LettaError, Schemas } from "effect-letta"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { fromResponse } from "../../src/internal/httpErrors.js"

const examplesDir = fileURLToPath(new URL("../../../shared/letta/examples/", import.meta.url))
const present = existsSync(examplesDir)
const read = (file: string) => readFileSync(examplesDir + file, "utf8")

interface Payload {
  readonly where: string
  readonly text: string
}

/** `data:` payloads of an SSE body, one per line (the docs separate events by single newlines). */
const dataPayloads = (file: string): Array<Payload> =>
  read(file).split("\n").flatMap((line, index) =>
    line.startsWith("data: ") ? [{ where: `${file}:${index + 1}`, text: line.slice(6) }] : []
  )

/** The `--data '...'` request bodies of curl examples. */
const curlBodies = (file: string): Array<Payload> =>
  [...read(file).matchAll(/--data '([\s\S]*?)'/g)].map((match) => ({
    where: `${file}@${match.index}`,
    text: match[1]
  }))

/** JSON response bodies following a `# Response…` comment, up to the closing brace. */
const responseBodies = (file: string): Array<Payload> => {
  const lines = read(file).split("\n")
  const out: Array<Payload> = []
  lines.forEach((line, index) => {
    if (!line.startsWith("# Response")) return
    const end = lines.findIndex((l, i) => i > index && l === "}")
    out.push({ where: `${file}:${index + 2}`, text: lines.slice(index + 1, end + 1).join("\n") })
  })
  return out
}

/** The ```json blocks of a markdown file, with the heading above each. */
const jsonBlocks = (file: string): Array<Payload & { readonly heading: string }> => {
  const text = read(file)
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => {
    const before = text.slice(0, match.index)
    const heading = before.slice(before.lastIndexOf("\n## ") + 4).split("\n")[0]
    return { where: `${file}@${match.index}`, text: match[1].trim(), heading }
  })
}

/**
 * Abbreviated payloads from the docs and from Letta's CLI fixtures, keyed by where they are,
 * with the field whose absence must be reported.
 */
const abbreviated: Record<string, { readonly missing: RegExp; readonly source: string }> = {
  "docs_step_streaming.sse:3": { missing: /date/, source: "docs omit date" },
  "docs_step_streaming.sse:4": { missing: /date/, source: "docs omit date" },
  "docs_token_streaming.sse:3": { missing: /date/, source: "docs omit date" },
  "docs_token_streaming.sse:4": { missing: /date/, source: "docs omit date" },
  "docs_token_streaming.sse:5": { missing: /date/, source: "docs omit date" },
  "docs_token_streaming.sse:6": { missing: /date/, source: "docs omit date" },
  "docs_token_streaming.sse:7": { missing: /date/, source: "docs omit date" },
  "docs_background_mode.txt:4": { missing: /id|date/, source: "docs omit id and date" },
  "docs_background_mode.txt:5": { missing: /id|date/, source: "docs omit id and date" },
  "docs_background_mode.txt:6": { missing: /JSON/, source: "docs write `{...}`, which is not JSON" },
  "docs_background_mode.txt:29": { missing: /id|date|tool_call_id/, source: "docs omit id, date, tool_call_id" },
  "lettacode_fixture_frames.txt:6": { missing: /id|date/, source: "CLI fixture omits id and date" },
  "lettacode_fixture_frames.txt:8": { missing: /id|date/, source: "CLI fixture omits id and date" },
  "docs_hitl_nonstreaming.txt:16": { missing: /"id"|date|usage/, source: "docs omit ids, dates and usage" },
  "docs_hitl_nonstreaming.txt:52": { missing: /"id"|date|usage/, source: "docs omit ids, dates and usage" }
}

const expectDecodes = <A, I>(schema: Schema.Schema<A, I>, payload: Payload): A => {
  const rule = abbreviated[payload.where]
  let json: unknown
  try {
    json = JSON.parse(payload.text)
  } catch (error) {
    expect(rule?.missing.test("JSON"), `${payload.where} is not JSON: ${String(error)}`).toBe(true)
    return undefined as A
  }
  const result = Schema.decodeUnknownEither(schema)(json)
  if (rule !== undefined) {
    expect(Either.isLeft(result), `${payload.where} (${rule.source}) should fail`).toBe(true)
    if (Either.isLeft(result)) {
      expect(ParseResult.isParseError(result.left)).toBe(true)
      expect(ParseResult.TreeFormatter.formatErrorSync(result.left)).toMatch(rule.missing)
    }
    return undefined as A
  }
  if (Either.isLeft(result)) {
    throw new Error(`${payload.where}: ${ParseResult.TreeFormatter.formatErrorSync(result.left)}`)
  }
  return result.right
}

describe.skipIf(!present)("example payloads (../shared/letta/examples)", () => {
  const streamFiles = present
    ? readdirSync(examplesDir).filter((file) => file.endsWith(".sse") || file.includes("fixture_frames"))
    : []

  for (const file of [...streamFiles, "docs_background_mode.txt"]) {
    it(`${file}: every stream event`, () => {
      const payloads = dataPayloads(file)
      expect(payloads.length).toBeGreaterThan(0)
      for (const payload of payloads) {
        if (payload.text === "[DONE]") continue
        expectDecodes(Schemas.LettaStreamingMessage, payload)
      }
    })
  }

  it("synth streams decode completely, with the fields the server really sends", () => {
    for (const file of ["synth_background_stream.sse", "synth_foreground_token_stream.sse"]) {
      const events = dataPayloads(file).filter((p) => p.text !== "[DONE]").map((p) =>
        expectDecodes(Schemas.LettaStreamingMessage, p)
      )
      expect(events.map((e) => e.message_type)).toEqual([
        "ping",
        "reasoning_message",
        "reasoning_message",
        "tool_call_message",
        "tool_call_message",
        "tool_call_message",
        "tool_return_message",
        "assistant_message",
        "assistant_message",
        "stop_reason",
        "usage_statistics"
      ])
      const seqIds = events.map((e) => ("seq_id" in e ? e.seq_id : undefined))
      expect(seqIds.slice(0, 9)).toEqual(
        file.includes("background") ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : Array(9).fill(null)
      )
    }
  })

  it("docs request bodies decode, and gain the `type` tags the server needs", () => {
    const hitl = curlBodies("docs_hitl_nonstreaming.txt")
    expect(hitl.length).toBe(2)
    const approval = expectDecodes(Schemas.LettaStreamingRequest, hitl[1])
    // The docs leave out the item `type`; the server would reject that with 422.
    expect(Schema.encodeSync(Schemas.LettaStreamingRequest)(approval).messages?.[0]).toMatchObject({
      type: "approval",
      approvals: [{ type: "approval", approve: true, tool_call_id: "tool-xyz789" }]
    })
    expectDecodes(Schemas.LettaStreamingRequest, hitl[0])
    const background = curlBodies("docs_background_mode.txt")
    expect(expectDecodes(Schemas.RetrieveStreamRequest, background[0]).starting_after).toBe(57)
    expectDecodes(Schemas.LettaStreamingRequest, background[1])
  })

  it("docs response bodies are abbreviated and reported as such", () => {
    const responses = responseBodies("docs_hitl_nonstreaming.txt")
    expect(responses.length).toBe(2)
    for (const response of responses) expectDecodes(Schemas.LettaResponse, response)
  })

  it("synth HTTP bodies: Run, callback and cancel bodies decode", () => {
    const blocks = jsonBlocks("synth_http_bodies.md")
    const byHeading = (prefix: string) => blocks.filter((b) => b.heading.startsWith(prefix))
    const run = expectDecodes(Schemas.Run, byHeading("Run object")[0])
    expect(run.status).toBe("created")
    const callback = expectDecodes(Schemas.RunCallback, byHeading("callback_url")[0])
    expect(callback.metadata?.result?.stop_reason.stop_reason).toBe("end_turn")
    const cancel = expectDecodes(Schemas.CancelRunsResponse, byHeading("POST /v1/agents/{id}/messages/cancel")[0])
    expect(Object.values(cancel)).toEqual(["cancelled"])
  })

  it.effect("synth HTTP bodies: every error body maps to its typed error", () =>
    Effect.gen(function*() {
      const errorBlocks = jsonBlocks("synth_http_bodies.md").filter((b) => /^\d{3}|LLM provider/.test(b.heading))
      const seen = new Set<string>()
      for (const block of errorBlocks) {
        // One markdown block may hold several bodies, one per line (the 500/499/401 trio).
        const bodies = block.text.startsWith("{\"detail\": \"An unknown") ? block.text.split("\n") : [block.text]
        for (const [index, body] of bodies.entries()) {
          const status = block.heading.startsWith("LLM")
            ? 429
            : block.heading.startsWith("500")
            ? [500, 499, 401][index]
            : Number(block.heading.slice(0, 3))
          const request = HttpClientRequest.post("http://127.0.0.1:1/v1/agents/agent-1/messages")
          const response = HttpClientResponse.fromWeb(request, new Response(body, { status }))
          const error = yield* fromResponse(response)
          expect(LettaError.isLettaError(error)).toBe(true)
          expect(error.status).toBe(status)
          expect(error.message.length).toBeGreaterThan(0)
          seen.add(error._tag)
          if (error._tag === "ConflictError" && body.includes("run_id")) {
            expect(error.reason).toBe("conversation_busy")
            expect(error.runId).toMatch(/^run-/)
          }
          if (error._tag === "ConflictError" && body.includes("PENDING_APPROVAL")) {
            expect(error.reason).toBe("pending_approval")
            expect(error.pendingRequestId).toMatch(/^message-/)
          }
          if (error._tag === "RateLimitError") expect(error.error?.type).toBe("llm_rate_limit")
        }
      }
      expect([...seen].sort()).toEqual([
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "GoneError",
        "NotFoundError",
        "RateLimitError",
        "ServerError",
        "UnexpectedStatusError",
        "UnprocessableEntityError"
      ])
    }))
})
