/**
 * Observability: every operation of the client is a span (`Agents.create`,
 * `Messages.stream`, `ClientTools.stream`, …) that says what it learnt — the agent, the run,
 * the stop reason, how many messages it delivered, and retries, resumes and tool rounds when
 * there were any — and never the API key. A stream's span covers the whole stream; its HTTP
 * request is a child span.
 *
 * Here they go through OpenTelemetry (`@effect/opentelemetry`) to a small console exporter
 * that prints each operation as a tree, one line per span, when it ends. Put an OTLP
 * exporter in its place to see them in Jaeger, Honeycomb, Grafana Tempo, …
 *
 * Talks to a real Letta server when LETTA_BASE_URL is set; otherwise it starts the embedded
 * Letta-compatible server on 127.0.0.1 and runs offline:
 *
 *   npx tsx examples/observability.ts
 */
import { NodeSdk } from "@effect/opentelemetry"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option, Schema, Stream } from "effect"
import { ClientTools, LettaClient } from "effect-letta"
import { LettaTestServer } from "effect-letta/testing"

/** The attributes worth a glance, shown without their `letta.` prefix. */
const shown = [
  "letta.agent_id",
  "letta.run_id",
  "letta.stop_reason",
  "letta.events",
  "letta.retry.attempts",
  "letta.resume_attempts",
  "letta.tools",
  "letta.tool_rounds",
  "letta.tool.name",
  "http.response.status_code"
]

/**
 * Collects the spans of each trace and prints the trace when its root span ends (children
 * end before their parents), as a tree ordered by start time.
 */
class TreeExporter implements SpanExporter {
  private readonly pending: Array<ReadableSpan> = []

  export(spans: Array<ReadableSpan>, done: (result: { code: 0 }) => void): void {
    for (const span of spans) {
      if (span.parentSpanContext === undefined) this.print(span, "", "")
      else this.pending.push(span)
    }
    done({ code: 0 }) // ExportResultCode.SUCCESS
  }

  private print(span: ReadableSpan, lead: string, indent: string): void {
    const [seconds, nanos] = span.duration
    const attributes = shown.flatMap((key) =>
      span.attributes[key] === undefined
        ? []
        // Effect hands lists to OpenTelemetry as indented JSON.
        : [`${key.replace(/^letta\./, "")}=${String(span.attributes[key]).replace(/\s+/g, "")}`]
    )
    // Ids shortened to their first 8 hex digits, for the width of a terminal.
    const line = [span.name, `${Math.round(seconds * 1e3 + nanos / 1e6)}ms`, ...attributes].join(" ")
    console.log(lead + line.replace(/\b([a-z]+-[0-9a-f]{8})[0-9a-f-]{28}\b/g, "$1…"))
    const children = this.pending
      .filter((child) => child.parentSpanContext?.spanId === span.spanContext().spanId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
    children.forEach((child, i) => {
      this.pending.splice(this.pending.indexOf(child), 1)
      const last = i === children.length - 1
      this.print(child, `${indent}${last ? "└─ " : "├─ "}`, `${indent}${last ? "   " : "│  "}`)
    })
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const Tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "effect-letta-example" },
  spanProcessor: new SimpleSpanProcessor(new TreeExporter())
}))

const orderStatus = ClientTools.make("order_status", {
  description: "Tells where an order is.",
  parameters: Schema.Struct({ order: Schema.String }),
  handler: ({ order }) => Effect.succeed(`${order}: shipped`)
})

const program = Effect.gen(function*() {
  const client = yield* LettaClient.LettaClient
  const agent = yield* client.agents.create({
    name: "observed",
    model: "openai/gpt-4o-mini",
    embedding: "openai/text-embedding-3-small"
  })
  // A streamed turn: one span for the stream, told the run and the stop reason as they come.
  yield* Stream.runDrain(client.agents.messages.stream(agent.id, { input: "Hello!", stream_tokens: true }))
  // A tool loop: its rounds' streams and the tool call are its children.
  yield* Stream.runDrain(
    ClientTools.stream(agent.id, { input: `Check the order_status of "A-1042"` }, {
      toolkit: ClientTools.toolkit(orderStatus)
    })
  )
  yield* client.agents.delete(agent.id)
})

// A real server when LETTA_BASE_URL is set, the embedded one otherwise.
const Letta = Layer.unwrapEffect(
  Effect.map(
    Config.option(Config.string("LETTA_BASE_URL")),
    (baseUrl) => Option.isSome(baseUrl) ? LettaClient.layerConfig() : LettaTestServer.layerClient()
  )
)

program.pipe(
  Effect.provide(Letta.pipe(Layer.provide(NodeHttpClient.layerUndici))),
  Effect.provide(Tracing),
  Effect.tapErrorCause(Effect.logError),
  NodeRuntime.runMain
)
