/**
 * Cursor paging as a `Stream`. Letta's list endpoints disagree on what a cursor means
 * (PROTOCOL.md §3, §5): message cursors are absolute (`after` = newer) while run and step
 * cursors follow the sort order, and the agents endpoint returns even a `desc` page oldest
 * to newest. Each endpoint states its rule; this module only walks it.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import * as LettaError from "../LettaError.js"
import { jsonExcerpt } from "./text.js"

/** One walk through a list endpoint. */
export interface Walk<A> {
  readonly operation: string
  /** The endpoint, for errors: e.g. `/v1/runs/`. */
  readonly endpoint: string
  /** The query parameter the walk advances (`after` or `before`). */
  readonly cursorParam: "after" | "before"
  /** The caller's starting cursor, if any. */
  readonly start: string | undefined
  /** Fetches one page with the cursor parameter set to `cursor`. */
  readonly fetch: (cursor: string | undefined) => Effect.Effect<ReadonlyArray<A>, LettaError.LettaError>
  /** The item of a page whose id is the next cursor. */
  readonly cursorItem: (page: ReadonlyArray<A>) => A
  /** Puts a page in the order the stream emits it. */
  readonly emitOrder?: ((page: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  /** An item's id, if it has one. */
  readonly idOf: (item: A) => string | undefined
}

/**
 * Every item of every page, until a page comes back empty. A page that repeats items of
 * the page before would loop forever (the conversations endpoint silently ignores unknown
 * cursors), so that fails instead of looping; so does a cursor that comes back, which
 * means the pages go round in a circle.
 */
export const walk = <A>(options: Walk<A>): Stream.Stream<A, LettaError.LettaError> => {
  const fail = (description: string, item: A) =>
    Effect.fail(
      new LettaError.DecodeError({
        method: "GET",
        url: options.endpoint,
        description: `${options.operation}: ${description}`,
        excerpt: jsonExcerpt(item)
      })
    )
  // `seen` holds the ids of the page just emitted: no later page may hold any of them. That
  // catches a server that ignores the cursor, or reads it the other way round, before
  // anything is emitted twice. (Parts of one stored message share an id, but never span
  // pages.)
  // `used` holds every cursor asked with. A server whose pages repeat only further back
  // than one page (A, B, A, B, …) passes the check above; its cursors repeat instead, and
  // one string per page is all it costs to notice.
  interface State {
    readonly cursor: string | undefined
    readonly seen: ReadonlySet<string>
    readonly used: Set<string>
  }
  // Suspended: each run of the stream starts with its own sets.
  return Stream.suspend(() =>
    Stream.paginateChunkEffect<State, A, LettaError.LettaError, never>(
      { cursor: options.start, seen: new Set(), used: new Set() },
      ({ cursor, seen, used }) =>
        options.fetch(cursor).pipe(
          Effect.flatMap((page) => {
            if (page.length === 0) return Effect.succeed([Chunk.empty<A>(), Option.none<State>()] as const)
            const repeated = page.find((item) => {
              const id = options.idOf(item)
              return id !== undefined && seen.has(id)
            })
            if (repeated !== undefined) {
              return fail(
                `the page for ${options.cursorParam}=${cursor} repeats items of the previous page; paging stopped`,
                repeated
              )
            }
            const next = options.idOf(options.cursorItem(page))
            if (next === undefined) {
              return fail("cannot page on: the item at the page boundary has no id", options.cursorItem(page))
            }
            if (used.has(next)) {
              return fail(
                `the cursor ${options.cursorParam}=${next} came back: the pages go round in a circle; paging stopped`,
                options.cursorItem(page)
              )
            }
            used.add(next)
            const items = options.emitOrder ? options.emitOrder(page) : page
            return Effect.succeed(
              [Chunk.fromIterable(items), Option.some({ cursor: next, seen: idsOf(page, options.idOf), used })] as const
            )
          })
        )
    )
  )
}

const idsOf = <A>(page: ReadonlyArray<A>, idOf: (item: A) => string | undefined): ReadonlySet<string> => {
  const ids = new Set<string>()
  for (const item of page) {
    const id = idOf(item)
    if (id !== undefined) ids.add(id)
  }
  return ids
}

/** The first item of a page. */
export const first = <A>(page: ReadonlyArray<A>): A => page[0]

/** The last item of a page. */
export const last = <A>(page: ReadonlyArray<A>): A => page[page.length - 1]

/**
 * An oldest-first page turned newest-first by stored message: the parts one stored message
 * lists as (they share its id) keep their order, as on endpoints whose `desc` pages really
 * are newest first.
 */
export const newestFirst = <A>(idOf: (item: A) => string | undefined) => (page: ReadonlyArray<A>): ReadonlyArray<A> => {
  const groups: Array<Array<A>> = []
  let lastId: string | undefined
  for (const item of page) {
    const id = idOf(item)
    if (groups.length === 0 || id === undefined || id !== lastId) groups.push([item])
    else groups[groups.length - 1].push(item)
    lastId = id
  }
  return groups.reverse().flat()
}

/** A message's id; a message of an unknown type keeps it in its payload. */
export const messageIdOf = (
  message: { readonly message_type: "unknown_message"; readonly payload: Readonly<Record<string, unknown>> } | {
    readonly message_type: string
    readonly id?: string | undefined
  }
): string | undefined => {
  if ("payload" in message) return typeof message.payload.id === "string" ? message.payload.id : undefined
  return message.id
}

/**
 * Takes `include_return_message_types` out of a list query, to apply it on the client: the
 * server filters after applying `limit`, so a filtered page can come back empty while more
 * messages follow, and an empty page must keep meaning "the end".
 */
export const clientSideTypeFilter = <Q extends { readonly include_return_message_types?: ReadonlyArray<string> | undefined }>(
  query: Q
) => {
  const { include_return_message_types: types, ...unfiltered } = query
  const keep = types === undefined ? undefined : new Set<string>(types)
  return {
    query: unfiltered,
    apply: <A extends { readonly message_type: string }, E>(stream: Stream.Stream<A, E>): Stream.Stream<A, E> =>
      keep === undefined ? stream : Stream.filter(stream, (message) => keep.has(message.message_type))
  }
}

/** The cursors of a message list query. */
interface MessageCursors {
  readonly before?: string | null | undefined
  readonly after?: string | null | undefined
}

/**
 * A walk through an endpoint's messages: cursors are absolute message ids (`after` walks
 * towards newer messages, `before` towards older), whatever the order. `oldestFirstPages`:
 * the endpoint returns a `desc` page oldest first (the agents endpoint, and the `default`
 * conversation), so its first item is the boundary and the page is turned newest first.
 */
export const walkMessages = <Q extends MessageCursors, M extends { readonly message_type: string }>(options: {
  readonly operation: string
  readonly endpoint: string
  readonly query: Q
  readonly descending: boolean
  readonly oldestFirstPages: boolean
  readonly fetch: (query: Q & { readonly order: "asc" | "desc" }) => Effect.Effect<ReadonlyArray<M>, LettaError.LettaError>
  readonly idOf: (message: M) => string | undefined
}): Stream.Stream<M, LettaError.LettaError> => {
  const { descending } = options
  const oldestFirst = descending && options.oldestFirstPages
  return walk({
    operation: options.operation,
    endpoint: options.endpoint,
    cursorParam: descending ? "before" : "after",
    start: (descending ? options.query.before : options.query.after) ?? undefined,
    fetch: (cursor) =>
      options.fetch({ ...options.query, order: descending ? "desc" : "asc", [descending ? "before" : "after"]: cursor }),
    cursorItem: oldestFirst ? first : last,
    emitOrder: oldestFirst ? newestFirst(options.idOf) : undefined,
    idOf: options.idOf
  })
}
