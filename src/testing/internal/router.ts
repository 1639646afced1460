/**
 * Route table and Starlette's matching rules: the first route whose path and
 * method match wins; a path match with the wrong method is a 405 (with the
 * `Allow` of the first such route); no match at all retries with the trailing
 * slash toggled and answers 307 if that would match; otherwise 404.
 *
 * The API is mounted under `/v1` and, undocumented, under `/latest`.
 */
import * as Errors from "./errors.js"
import type { Handler, Response } from "./response.js"
import * as Agents from "./routes/agents.js"
import * as Conversations from "./routes/conversations.js"
import * as Messages from "./routes/messages.js"
import * as Runs from "./routes/runs.js"

interface Route {
  readonly method: string
  readonly regex: RegExp
  readonly handler: Handler
}

const compile = (template: string): RegExp => {
  const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")
  return new RegExp(`^${source}$`)
}

// Relative order follows the routers of the real app; it decides which route reports a 405.
const table: ReadonlyArray<readonly [method: string, path: string, handler: Handler]> = [
  ["POST", "/agents/", Agents.createAgent],
  ["GET", "/agents/{agent_id}", Agents.retrieveAgent],
  ["DELETE", "/agents/{agent_id}", Agents.deleteAgent],
  ["GET", "/agents/{agent_id}/messages", Messages.listMessages],
  ["PATCH", "/agents/{agent_id}/messages/{message_id}", () =>
    Errors.detail(
      405,
      "Message editing is no longer supported. Messages are immutable as they may be shared across multiple conversations via forking."
    )],
  ["POST", "/agents/{agent_id}/messages", Messages.sendMessage],
  ["POST", "/agents/{agent_id}/messages/stream", Messages.sendMessageStream],
  ["POST", "/agents/{agent_id}/messages/cancel", Messages.cancelMessage],
  ["POST", "/agents/{agent_id}/messages/async", Messages.sendMessageAsync],
  ["PATCH", "/agents/{agent_id}/reset-messages", Agents.resetMessages],
  ["POST", "/agents/{agent_id}/summarize", Agents.summarize],
  ["GET", "/runs/", Runs.listRuns],
  ["GET", "/runs/active", Runs.listActiveRuns],
  ["GET", "/runs/{run_id}", Runs.retrieveRun],
  ["GET", "/runs/{run_id}/messages", Runs.listRunMessages],
  ["GET", "/runs/{run_id}/usage", Runs.retrieveRunUsage],
  ["GET", "/runs/{run_id}/steps", Runs.listRunSteps],
  ["DELETE", "/runs/{run_id}", Runs.deleteRun],
  ["POST", "/runs/{run_id}/stream", Runs.retrieveRunStream],
  ["POST", "/conversations/", Conversations.createConversation],
  ["GET", "/conversations/", Conversations.listConversations],
  ["GET", "/conversations/{conversation_id}", Conversations.retrieveConversation],
  ["GET", "/conversations/{conversation_id}/messages", Conversations.listConversationMessages],
  ["POST", "/conversations/{conversation_id}/messages", Conversations.sendConversationMessage],
  ["POST", "/conversations/{conversation_id}/stream", Conversations.retrieveConversationStream],
  ["POST", "/conversations/{conversation_id}/cancel", Conversations.cancelConversation]
]

const routes: ReadonlyArray<Route> = ["/v1", "/latest"].flatMap((prefix) =>
  table.map(([method, path, handler]) => ({ method, regex: compile(prefix + path), handler }))
)

export type Match =
  | { readonly _tag: "Route"; readonly handler: Handler; readonly params: Readonly<Record<string, string>> }
  | { readonly _tag: "Response"; readonly response: Response }
  | { readonly _tag: "Error"; readonly error: Errors.HttpError }

const find = (method: string, path: string) => {
  let partial: Route | undefined
  for (const route of routes) {
    const m = route.regex.exec(path)
    if (m === null) continue
    if (route.method === method) return { full: route, params: { ...m.groups } }
    partial ??= route
  }
  return { full: undefined, partial, params: {} }
}

/**
 * @param path percent-decoded path
 * @param redirectBase `scheme://host` of the request, for the `location` of slash redirects
 */
export const match = (method: string, path: string, rawQuery: string, redirectBase: string): Match => {
  const found = find(method, path)
  if (found.full !== undefined) return { _tag: "Route", handler: found.full.handler, params: found.params }
  if (found.partial !== undefined) return { _tag: "Error", error: Errors.methodNotAllowed([found.partial.method]) }
  if (path !== "/") {
    const toggled = path.endsWith("/") ? path.slice(0, -1) : `${path}/`
    const retry = find(method, toggled)
    if (retry.full !== undefined || retry.partial !== undefined) {
      const location = `${redirectBase}${encodeURI(toggled)}${rawQuery === "" ? "" : `?${rawQuery}`}`
      return { _tag: "Response", response: { _tag: "Raw", status: 307, headers: { location }, body: "" } }
    }
  }
  return { _tag: "Error", error: Errors.notFoundRoute() }
}
