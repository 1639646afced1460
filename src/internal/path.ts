/**
 * Request paths built from caller-supplied ids. Percent-encoding is not enough to keep an
 * id inside its path segment: the real server (uvicorn) decodes `%2F` back into `/` before
 * routing, so `agent-1%2Farchival-memory%2Fpassage-2` would reach another endpoint, and URL
 * parsing collapses `.` and `..`. Letta ids are a prefix and a UUID (or `default`), so path
 * parameters are limited to URL-unreserved characters and the dot segments are refused:
 * no id can change which endpoint a request reaches.
 */
import { Either } from "effect"

/** A path template with its parameters not yet checked. */
export interface PathTemplate {
  readonly strings: ReadonlyArray<string>
  readonly params: ReadonlyArray<string>
}

/** ``path`/v1/agents/${agentId}` `` */
export const path = (strings: TemplateStringsArray, ...params: ReadonlyArray<string>): PathTemplate => ({
  strings,
  params
})

const safeSegment = /^[A-Za-z0-9._~-]{1,256}$/
const dotSegment = /^\.{1,2}$/

/** Renders a template, or says which parameter is unsafe. */
export const render = (template: PathTemplate): Either.Either<string, string> => {
  let out = template.strings[0]
  for (let i = 0; i < template.params.length; i++) {
    const param: unknown = template.params[i]
    if (typeof param !== "string" || !safeSegment.test(param) || dotSegment.test(param)) {
      const shown = typeof param === "string" ? JSON.stringify(param.slice(0, 100)) : typeof param
      return Either.left(
        `${shown} is not a valid id: ids may only contain letters, digits, "-", "_", "." and "~", ` +
          `so that no id can change the request path`
      )
    }
    out += param + template.strings[i + 1]
  }
  return Either.right(out)
}
