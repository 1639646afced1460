/**
 * Request paths built from caller-supplied ids. Each id is percent-encoded as one path
 * segment, so `/`, `?`, `#` and `%` stay inside it (a literal `%2e` becomes `%252e`). URL
 * parsing still collapses the segments `.` and `..`, which encoding leaves alone, so those
 * are refused outright: no id can ever change which endpoint a request reaches.
 *
 * @internal
 */
import { Either } from "effect"

/** A path template with its parameters not yet encoded. */
export interface PathTemplate {
  readonly strings: ReadonlyArray<string>
  readonly params: ReadonlyArray<string>
}

/** ``path`/v1/agents/${agentId}` `` */
export const path = (strings: TemplateStringsArray, ...params: ReadonlyArray<string>): PathTemplate => ({
  strings,
  params
})

const dotSegment = /^\.{1,2}$/

const encodeSegment = (param: string): string | undefined => {
  try {
    return encodeURIComponent(param)
  } catch {
    // A lone UTF-16 surrogate has no UTF-8 encoding.
    return undefined
  }
}

/** Renders a template, or says which parameter is unsafe. */
export const render = (template: PathTemplate): Either.Either<string, string> => {
  let out = template.strings[0]
  for (let i = 0; i < template.params.length; i++) {
    const param = template.params[i]
    if (typeof param !== "string") return Either.left(`path parameter ${i + 1} must be a string`)
    if (param === "" || dotSegment.test(param)) {
      return Either.left(`path parameter ${JSON.stringify(param)} is not a valid id`)
    }
    const encoded = encodeSegment(param)
    if (encoded === undefined) return Either.left(`path parameter ${JSON.stringify(param)} is not valid Unicode`)
    out += encoded + template.strings[i + 1]
  }
  return Either.right(out)
}
