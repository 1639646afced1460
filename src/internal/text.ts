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
