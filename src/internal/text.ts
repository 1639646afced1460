/**
 * Bounds on the text the library copies out of responses into errors, so a broken or
 * hostile server cannot make an error message (or a log line) arbitrarily large.
 */

/** The longest excerpt of a payload an error keeps. */
export const maxExcerptChars = 1_000

/** The longest description (e.g. a schema mismatch) an error keeps. */
export const maxDescriptionChars = 2_000

/** `text`, cut to `max` characters with an ellipsis when longer. */
export const clip = (text: string, max: number = maxExcerptChars): string =>
  text.length > max ? `${text.slice(0, max)}…` : text

/**
 * A value as JSON, clipped. `JSON.stringify` recurses: a value nested deeply enough (a
 * hostile server's `[[[[…]]]]`) overflows the stack, and an error message or excerpt must
 * never throw, so such a value is named instead of shown.
 */
export const jsonExcerpt = (value: unknown, max: number = maxExcerptChars): string => {
  try {
    return clip(JSON.stringify(value) ?? String(value), max)
  } catch {
    return "<a value too deeply nested to show>"
  }
}
