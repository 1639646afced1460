/**
 * Cursor paging as a `Stream`. Letta's list endpoints disagree on what a cursor means
 * (PROTOCOL.md §3, §5): message cursors are absolute (`after` = newer) while run and step
 * cursors follow the sort order, and the agents endpoint returns even a `desc` page oldest
 * to newest. Each endpoint states its rule; this module only walks it.
 *
 * @internal
 */
import { Chunk, Effect, Option, Stream } from "effect"
import * as LettaError from "../LettaError.js"

/** One walk through a list endpoint. */
export interface Walk<A> {
  readonly operation: string
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
 * Every item of every page, until a page comes back empty. A page whose next cursor is the
 * one just used would repeat forever (the conversations endpoint silently ignores unknown
 * cursors), so that fails instead of looping.
 */
export const walk = <A>(options: Walk<A>): Stream.Stream<A, LettaError.LettaError> =>
  Stream.paginateChunkEffect(options.start, (cursor) =>
    options.fetch(cursor).pipe(
      Effect.flatMap((page) => {
        if (page.length === 0) return Effect.succeed([Chunk.empty<A>(), Option.none()] as const)
        const next = options.idOf(options.cursorItem(page))
        if (next === undefined || next === cursor) {
          return Effect.fail(
            new LettaError.DecodeError({
              method: "GET",
              url: options.operation,
              description: next === undefined
                ? `cannot page on: the item at the page boundary has no id`
                : `the server returned the page for ${options.cursorParam}=${next} again; paging stopped to avoid a loop`,
              excerpt: JSON.stringify(options.cursorItem(page)).slice(0, 500)
            })
          )
        }
        const items = options.emitOrder ? options.emitOrder(page) : page
        return Effect.succeed([Chunk.fromIterable(items), Option.some<string | undefined>(next)] as const)
      })
    ))

/** The first item of a page. */
export const first = <A>(page: ReadonlyArray<A>): A => page[0]

/** The last item of a page. */
export const last = <A>(page: ReadonlyArray<A>): A => page[page.length - 1]

/** A page in reverse order. */
export const reversed = <A>(page: ReadonlyArray<A>): ReadonlyArray<A> => page.slice().reverse()

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
