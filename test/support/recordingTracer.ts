/**
 * A tracer that keeps every span it creates (name, attributes, events, exit), so tests can
 * check what operations report and that nothing secret is in it.
 */
import { Exit, Layer, Option, Tracer } from "effect"

export interface RecordedSpan {
  readonly name: string
  readonly spanId: string
  readonly parent: string | undefined
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes?: Record<string, unknown> | undefined }>
  exit?: Exit.Exit<unknown, unknown>
}

export const makeRecordingTracer = () => {
  const spans: Array<RecordedSpan> = []
  let counter = 0
  const tracer = Tracer.make({
    span(name, parent, context, links, startTime, kind) {
      const spanId = `span-${++counter}`
      const recorded: RecordedSpan = {
        name,
        spanId,
        parent: Option.match(parent, { onNone: () => undefined, onSome: (p) => p.spanId }),
        attributes: new Map(),
        events: []
      }
      spans.push(recorded)
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace-1",
        parent,
        context,
        get status() {
          return status
        },
        attributes: recorded.attributes,
        links,
        sampled: true,
        kind,
        end(endTime, exit) {
          status = { _tag: "Ended", startTime, endTime, exit }
          recorded.exit = exit
        },
        attribute(key, value) {
          recorded.attributes.set(key, value)
        },
        event(eventName, _time, attributes) {
          recorded.events.push({ name: eventName, attributes })
        },
        addLinks() {}
      }
    },
    context: (f) => f()
  })
  return { spans, layer: Layer.setTracer(tracer) }
}
