/**
 * The Redis streams `sse:run:{run_id}` that background runs are written to
 * (`RedisSSEStreamWriter`) and read back from (`redis_sse_stream_generator`),
 * with the three Redis behaviours they rely on: `XADD ... MAXLEN ~ n` trims the
 * oldest entries, `EXPIRE` (refreshed on every flush) drops the whole key, and
 * `XRANGE start + COUNT n` reads from an inclusive entry id.
 *
 * Trimming keeps exactly the newest `maxLength` entries; Redis's approximate
 * `~` trims whole radix-tree nodes and so keeps a few more.
 */
import { Effect } from "effect"

/** `stream_ttl_seconds`: a stream lives three hours after its last flush. */
const streamTtlMillis = 10_800_000

/** `max_stream_length`: the default trim bound. */
export const defaultMaxLength = 10_000

/** One chunk as the writer hands it to `XADD`. */
export interface Chunk {
  /** the writer's counter, from 1 */
  readonly seqId: number
  /** the SSE frame exactly as the agent side produced it */
  readonly data: string
  /** `complete: "true"`: the entry readers stop at */
  readonly complete: boolean
}

/** A stored entry: the chunk plus its Redis entry id (increasing across all streams). */
export interface Entry extends Chunk {
  readonly id: number
}

interface Key {
  readonly entries: Array<Entry>
  expiresAt: number
}

export class RedisStreams {
  private readonly keys = new Map<string, Key>()
  private nextId = 1
  /** appends per run, so a reader can tell whether anything arrived since it last looked */
  private readonly versions = new Map<string, number>()
  private readonly waiters = new Map<string, Set<() => void>>()

  // Redis drops a key once the clock has passed its expiry time.
  private live(runId: string, now: number): Key | undefined {
    const key = this.keys.get(runId)
    if (key === undefined || now <= key.expiresAt) return key
    this.keys.delete(runId)
    return undefined
  }

  /** One flush: an `XADD MAXLEN` per chunk, then `EXPIRE`, in one pipeline. */
  append(runId: string, chunks: ReadonlyArray<Chunk>, now: number, maxLength: number): void {
    let key = this.live(runId, now)
    if (key === undefined) {
      key = { entries: [], expiresAt: 0 }
      this.keys.set(runId, key)
    }
    for (const chunk of chunks) {
      key.entries.push({ ...chunk, id: this.nextId++ })
      if (key.entries.length > maxLength) key.entries.splice(0, key.entries.length - Math.max(0, maxLength))
    }
    key.expiresAt = now + streamTtlMillis
    this.versions.set(runId, this.version(runId) + 1)
    const waiting = this.waiters.get(runId)
    if (waiting !== undefined) {
      this.waiters.delete(runId)
      for (const wake of waiting) wake()
    }
  }

  /**
   * `XRANGE key start + COUNT count`: entries from `start` (an entry id,
   * inclusive; `undefined` is `-`), at most `count` of them (`null`: all). A
   * missing or expired key reads as empty.
   */
  range(runId: string, start: number | undefined, count: number | null, now: number): ReadonlyArray<Entry> {
    const entries = this.live(runId, now)?.entries ?? []
    // Ids only grow, so the first entry at or after `start` is found by bisection.
    let from = 0
    let to = entries.length
    while (start !== undefined && from < to) {
      const mid = (from + to) >>> 1
      if (entries[mid]!.id < start) from = mid + 1
      else to = mid
    }
    return entries.slice(from, count === null ? entries.length : from + count)
  }

  /** How many flushes the run's stream has had: compare with `awaitAppend`. */
  version(runId: string): number {
    return this.versions.get(runId) ?? 0
  }

  /** Resumes once the run's stream has been flushed to after `version` was read. */
  awaitAppend(runId: string, version: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.version(runId) !== version) return resume(Effect.void)
      const wake = () => resume(Effect.void)
      let waiting = this.waiters.get(runId)
      if (waiting === undefined) {
        waiting = new Set()
        this.waiters.set(runId, waiting)
      }
      waiting.add(wake)
      return Effect.sync(() => {
        this.waiters.get(runId)?.delete(wake)
      })
    })
  }
}
