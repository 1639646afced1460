/**
 * What a handler answers with; the HTTP layer writes it.
 */
import type { Effect } from "effect"
import type { HttpError } from "./errors.js"
import type { Request } from "./request.js"
import type { SseSink } from "./sse.js"
import type { ServerState } from "./state.js"

export type Response =
  | {
    readonly _tag: "Json"
    readonly status: number
    readonly body: unknown
    readonly headers?: Readonly<Record<string, string>> | undefined
  }
  /**
   * An SSE body, written by `body` through the sink; the status line and
   * headers go out together with the first frame.
   */
  | {
    readonly _tag: "Sse"
    readonly runId: string | null
    readonly body: (sink: SseSink) => Effect.Effect<void>
  }
  /** a body without a JSON content type (e.g. Starlette's slash redirect) */
  | {
    readonly _tag: "Raw"
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body: string
  }

export const json = (body: unknown, status = 200): Response => ({ _tag: "Json", status, body })

/** An endpoint: path parameters come from the matched route, still unvalidated. */
export type Handler = (
  state: ServerState,
  req: Request,
  pathParams: Readonly<Record<string, string>>
) => Effect.Effect<Response, HttpError>
