/**
 * Every way an error (or any value) commonly gets printed: `String`, its message and stack,
 * `JSON.stringify` (what JSON loggers do), `util.inspect` (what `console.log` does) and
 * `Cause.pretty` (what Effect's loggers do). Tests check that none of them throws and that
 * none of them shows a secret.
 */
import { Cause } from "effect"
import { inspect } from "node:util"

export const renderings = (value: unknown): Array<string> => {
  const out = [String(value), inspect(value, { depth: 20, showHidden: true, getters: true })]
  out.push(JSON.stringify(value) ?? "")
  if (value instanceof Error) out.push(value.message, value.stack ?? "")
  out.push(Cause.pretty(Cause.fail(value)))
  return out
}
