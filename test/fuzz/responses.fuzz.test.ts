/**
 * Responses of every shape. JSON success bodies: real messages (from the corpus) with fields
 * retyped, dropped or nested 100,000 levels deep, types this client does not know, bodies
 * that are not JSON or not arrays; each decodes exactly as Effect's own Schema decoder says,
 * or is a `DecodeError`. Error responses, through JSON calls and streams: HTML pages from proxies,
 * empty bodies, huge and endless bodies, JSON under the wrong content type, binary, JSON
 * that is not an object, `detail` as a string, object, array or anything else, the error
 * envelope, deeply nested JSON, bodies cut off part-way. Each maps to the typed error for
 * its status, with what the server said when it can be read, and bounded excerpts; the
 * client never reads more of an error body than its bound, however large the body.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Schema, Stream } from "effect"
import { LettaClient, type LettaError, Schemas } from "effect-letta"
import { loadCorpus } from "../support/corpus.js"
import { agentId } from "../support/frames.js"
import { cutAt, deepMarker, expandMarkers, expectTyped, runs, timeoutFor, unprintable } from "../support/fuzz.js"
import { scriptedClient } from "../support/scriptedHttp.js"
import type { Ending } from "../support/streamOracle.js"

const corpus = await Effect.runPromise(loadCorpus)
const encoder = new TextEncoder()
const maxErrorBody = 64 * 1024
const maxExcerpt = 1_000

/** The error class a status maps to. */
const tagFor = (status: number): LettaError.LettaError["_tag"] => {
  const known: Record<number, LettaError.LettaError["_tag"]> = {
    400: "BadRequestError",
    401: "AuthenticationError",
    402: "PaymentRequiredError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    410: "GoneError",
    422: "UnprocessableEntityError",
    429: "RateLimitError"
  }
  return known[status] ?? (status >= 500 ? "ServerError" : "UnexpectedStatusError")
}

const nested = (depth: number) => `{"detail":${"[".repeat(depth)}${"]".repeat(depth)}}`

const jsonBody = fc.oneof(
  fc.record({
    detail: fc.oneof(
      fc.string(),
      fc.constant("CONFLICT: Another request (run_id=run-1) is currently being processed"),
      fc.record({ code: fc.constantFrom("PENDING_APPROVAL", "X"), message: fc.string(), pending_request_id: fc.string() }),
      fc.array(fc.record({ loc: fc.array(fc.string()), msg: fc.string(), type: fc.string() }), { maxLength: 3 }),
      fc.jsonValue({ maxDepth: 3 })
    ),
    run_id: fc.option(fc.string(), { nil: undefined })
  }, { requiredKeys: [] }),
  fc.record({
    error: fc.oneof(
      fc.record({ type: fc.string(), message: fc.string(), detail: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
      fc.string(),
      fc.jsonValue({ maxDepth: 2 })
    ),
    reasons: fc.option(fc.array(fc.string()), { nil: undefined }),
    errorCode: fc.option(fc.string(), { nil: undefined })
  }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 4 })
).map((value) => encoder.encode(JSON.stringify(value)))

const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  jsonBody,
  fc.string().map((title) => encoder.encode(`<html><head><title>${title}</title></head><body><h1>502 Bad Gateway</h1></body></html>`)),
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 2_000 }),
  fc.constantFrom(100, 70, 5_000).map((depth) => encoder.encode(nested(depth))),
  // Over the bound: a JSON body too large to keep whole, and a plain one.
  fc.integer({ min: maxErrorBody - 10, max: maxErrorBody * 3 }).map((size) =>
    encoder.encode(JSON.stringify({ detail: "d".repeat(size) }))
  ),
  fc.string({ unit: "binary", maxLength: 3_000 }).map((text) => encoder.encode(text))
)

const response = fc.record({
  status: fc.oneof(
    fc.constantFrom(400, 401, 402, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504),
    fc.integer({ min: 300, max: 599 })
  ),
  contentType: fc.constantFrom(
    "application/json",
    "text/html; charset=utf-8",
    "text/plain",
    "application/octet-stream",
    "text/event-stream",
    undefined
  ),
  body,
  ending: fc.oneof(fc.constant<Ending>("end"), fc.constant<Ending>("drop")),
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  // Header values a server can send: printable ASCII (a `Response` refuses the rest).
  retryAfter: fc.option(
    fc.oneof(fc.string({ unit: "grapheme-ascii" }), fc.nat().map(String), fc.constant("9".repeat(400))),
    { nil: undefined }
  ),
  requestId: fc.option(fc.string({ unit: "grapheme-ascii", maxLength: 400 }), { nil: undefined }),
  operation: fc.constantFrom("retrieve" as const, "send" as const, "stream" as const)
})

/** Whether a parsed value nests deeper than `max`. */
const deeperThan = (value: unknown, max: number): boolean => {
  let depth = 0
  let current: unknown = value
  // Only the test's own bodies are deep, and they nest in their first element.
  while (typeof current === "object" && current !== null && depth <= max) {
    depth++
    current = Array.isArray(current) ? current[0] : Object.values(current)[0]
  }
  return depth > max
}

describe("error bodies fuzz", () => {
  const { layer, script } = scriptedClient()

  const call = (operation: "retrieve" | "send" | "stream") =>
    Effect.flatMap(LettaClient.LettaClient, (client) => {
      switch (operation) {
        case "retrieve":
          return client.runs.retrieve("run-1")
        case "send":
          return client.agents.messages.create(agentId, { input: "x" })
        case "stream":
          return Stream.runDrain(client.agents.messages.stream(agentId, { input: "x" }))
      }
    })

  it.layer(layer)((it) => {
    it.effect.prop("every status and body shape maps to its typed error, bounded", [response], ([input]) =>
      Effect.gen(function*() {
        // A drop cuts the body part-way; a clean end sends it whole. Some statuses carry none.
        const bodiless = [204, 205, 304].includes(input.status)
        const bytes = bodiless
          ? new Uint8Array(0)
          : input.ending === "drop"
          ? input.body.subarray(0, Math.round(input.cut * input.body.length))
          : input.body
        script.next = {
          status: input.status,
          headers: {
            ...(input.contentType === undefined ? {} : { "content-type": input.contentType }),
            ...(input.retryAfter === undefined ? {} : { "retry-after": input.retryAfter }),
            ...(input.requestId === undefined ? {} : { "x-request-id": input.requestId })
          },
          chunks: cutAt(bytes, input.cuts),
          ending: input.ending
        }
        const exit = yield* Effect.exit(call(input.operation))
        const error = expectTyped(exit) as LettaError.HttpError
        expect(error._tag).toBe(tagFor(input.status))
        expect(error.status).toBe(input.status)
        expect(error.message.length).toBeLessThan(1_500)
        expect(error.requestId === undefined || error.requestId.length <= 200).toBe(true)

        const read = bytes.subarray(0, maxErrorBody)
        const text = new TextDecoder().decode(read)
        let json: unknown = undefined
        try {
          json = JSON.parse(text)
        } catch {
          // not JSON
        }
        const whole = bodiless || (input.ending === "end" && bytes.length <= maxErrorBody)
        if (json !== undefined && whole && !deeperThan(json, 64)) {
          // A readable JSON body is kept, with what the server said.
          expect(error.body).toEqual(json)
          expect(error.bodyExcerpt).toBeUndefined()
          const record = typeof json === "object" && json !== null && !Array.isArray(json)
            ? json as Record<string, unknown>
            : undefined
          expect(error.detail).toEqual(record?.detail)
        } else {
          // Anything else is an excerpt of what arrived, never a (partial) parse.
          expect(error.body).toBeUndefined()
          expect(error.detail).toBeUndefined()
          expect(error.bodyExcerpt ?? "").toBe(text.slice(0, maxExcerpt))
        }
      }), { timeout: timeoutFor("errorBodies", 30), fastCheck: { numRuns: runs("errorBodies") } })

    it.effect("a body of any size is read only up to its bound", () =>
      Effect.gen(function*() {
        const chunk = encoder.encode("<p>".padEnd(16 * 1024, "x"))
        for (const size of [5, 50, Number.POSITIVE_INFINITY]) {
          // 5 MB, 50 MB, and a body without end: the same few chunks are pulled.
          function* pages() {
            for (let i = 0; i < size * 64; i++) yield chunk
          }
          for (const operation of ["retrieve", "stream"] as const) {
            script.pulled = 0
            script.next = { status: 502, headers: { "content-type": "text/html" }, chunks: pages(), ending: "end" }
            const error = expectTyped(yield* Effect.exit(call(operation))) as LettaError.HttpError
            expect(error._tag).toBe("ServerError")
            expect(error.bodyExcerpt?.length).toBe(maxExcerpt)
            expect(script.pulled).toBeLessThanOrEqual(maxErrorBody + 2 * chunk.length)
          }
        }
      }))

    it.effect("a 200 that is not an event stream names what it is, from a bounded read", () =>
      Effect.gen(function*() {
        const chunk = encoder.encode("{\"not\": \"a stream\"}".padEnd(16 * 1024))
        function* endless() {
          while (true) yield chunk
        }
        script.pulled = 0
        script.next = { status: 200, headers: { "content-type": "application/json" }, chunks: endless(), ending: "end" }
        const error = expectTyped(yield* Effect.exit(call("stream")))
        expect(error?._tag).toBe("DecodeError")
        expect(error?.message).toContain("expected an event stream, got application/json")
        expect(script.pulled).toBeLessThanOrEqual(maxErrorBody + 2 * chunk.length)
      }))

    it.effect("a body cut off part-way keeps the start of what the server said", () =>
      Effect.gen(function*() {
        const page = encoder.encode("<html><title>503 Service Unavailable</title><body>upstream overloaded")
        script.next = { status: 503, headers: { "content-type": "text/html" }, chunks: [page], ending: "drop" }
        const error = expectTyped(yield* Effect.exit(call("retrieve"))) as LettaError.HttpError
        expect(error._tag).toBe("ServerError")
        expect(error.bodyExcerpt).toContain("503 Service Unavailable")
        expect(error.message).toContain("upstream overloaded")
        // JSON cut off mid-way is not parsed into a partial value.
        const json = encoder.encode(JSON.stringify({ detail: "Agent with ID agent-1 not found", more: "x".repeat(50) }))
        script.next = { status: 404, headers: { "content-type": "application/json" }, chunks: [json.subarray(0, 60)], ending: "drop" }
        const cut = expectTyped(yield* Effect.exit(call("retrieve"))) as LettaError.HttpError
        expect([cut._tag, cut.body, cut.detail]).toEqual(["NotFoundError", undefined, undefined])
        expect(cut.bodyExcerpt).toContain("Agent with ID agent-1")
      }))

    it.effect("detail shapes: a JSON string body, detail as object, array and deep value all print", () =>
      Effect.gen(function*() {
        const cases = [
          [`"Internal error"`, "Internal error"],
          [`{"detail": {"code": "PENDING_APPROVAL", "message": "waiting for approval"}}`, "waiting for approval"],
          [`{"detail": [{"loc": ["body"], "msg": "field required"}]}`, "field required"],
          [`{"detail": ${"[".repeat(60)}"deep"${"]".repeat(60)}}`, "deep"],
          [nested(5_000), "[[["]
        ] as const
        for (const [text, said] of cases) {
          script.next = { status: 500, headers: { "content-type": "text/plain" }, chunks: [encoder.encode(text)], ending: "end" }
          const error = expectTyped(yield* Effect.exit(call("retrieve"))) as LettaError.HttpError
          expect(error.message).toContain(said)
        }
      }))
  })
})

/** The JSON objects of every frame of the corpus: messages as the server writes them. */
const messages: ReadonlyArray<Record<string, unknown>> = corpus.flatMap((sample) =>
  sample.body.split("\n").flatMap((line) => {
    if (!line.startsWith("data: {")) return []
    try {
      return [JSON.parse(line.slice("data: ".length)) as Record<string, unknown>]
    } catch {
      return []
    }
  })
)


/** One message, changed the ways a broken or newer server might. */
const message = fc.tuple(fc.constantFrom(...messages), fc.nat(), fc.oneof(
  { arbitrary: fc.constant({ _tag: "None" as const }), weight: 3 },
  fc.record({ _tag: fc.constant("Retype" as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.constant({ _tag: "Drop" as const }),
  fc.record({ _tag: fc.constant("Type" as const), type: fc.string({ maxLength: 10 }) }),
  fc.record({ _tag: fc.constant("Deep" as const), depth: fc.constantFrom(1_000, 100_000) }),
  fc.constant({ _tag: "Unprintable" as const })
)).map(([original, pick, change]) => {
  const copy: Record<string, unknown> = { ...original }
  const keys = Object.keys(copy)
  const key = keys[pick % keys.length]
  switch (change._tag) {
    case "Retype":
      copy[key] = change.value
      break
    case "Drop":
      delete copy[key]
      break
    case "Type":
      copy.message_type = change.type
      break
    case "Deep":
      copy[key] = deepMarker(change.depth)
      break
    case "Unprintable":
      copy[pick % 2 === 0 ? "message_type" : key] = unprintable
      break
  }
  return copy
})

const page = fc.oneof(
  { arbitrary: fc.array(message, { maxLength: 6 }).map((items) => JSON.stringify(items)), weight: 8 },
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.constantFrom("", "null", "{}", "[", "<html>maintenance</html>", `["${deepMarker(100_000)}"]`)
)

describe("JSON success bodies fuzz", () => {
  const { layer, script } = scriptedClient()
  const decodePage = Schema.decodeUnknownEither(Schema.Array(Schemas.LettaMessage))

  it.layer(layer)((it) => {
    it.effect.prop("a page of messages decodes exactly, or is a DecodeError", [page, fc.array(fc.nat(), { maxLength: 4 })], ([page, cuts]) =>
      Effect.gen(function*() {
        const text = expandMarkers(page)
        script.next = {
          status: 200,
          headers: { "content-type": "application/json" },
          chunks: cutAt(encoder.encode(text), cuts),
          ending: "end"
        }
        const exit = yield* Effect.exit(Effect.flatMap(LettaClient.LettaClient, (client) => client.agents.messages.listPage(agentId)))
        const error = expectTyped(exit)
        let expected: Either.Either<ReadonlyArray<Schemas.LettaMessage>, unknown>
        try {
          expected = decodePage(text.trim() === "" ? null : JSON.parse(text))
        } catch (cause) {
          expected = Either.left(cause)
        }
        if (Either.isRight(expected)) {
          expect(error).toBeUndefined()
          // Types and ids only: comparing 100,000-level values would overflow the comparison.
          const shape = (items: ReadonlyArray<Schemas.LettaMessage>) =>
            items.map((m) => [m.message_type, "id" in m ? m.id : undefined])
          expect(shape(exit._tag === "Success" ? exit.value : [])).toEqual(shape(expected.right))
        } else {
          expect(error?._tag).toBe("DecodeError")
        }
      }), { timeout: timeoutFor("jsonBodies", 30), fastCheck: { numRuns: runs("jsonBodies") } })
  })
})
