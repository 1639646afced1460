/**
 * What the real server keeps in Redis: the conversation locks, the
 * request-token / otid → run mappings (which name the lock holder in 409
 * bodies and let retries and resumes find their run) and, in `streams`, the
 * `sse:run:{run_id}` streams of background runs.
 */
import { createHash, randomUUID } from "node:crypto"
import { RedisStreams } from "./redisStreams.js"

/** `CONVERSATION_LOCK_TTL_SECONDS`: a lock nobody releases expires after five minutes. */
const lockTtlMillis = 300_000

/** `OTID_RUN_TTL_SECONDS`: an otid → run mapping lives three hours (as long as a stream). */
const otidRunTtlMillis = 10_800_000

/** `derive_request_token`: a hash of all message otids, or a random token without any. */
export const requestToken = (otids: ReadonlyArray<string>): string =>
  otids.length === 0 ? randomUUID() : createHash("sha256").update(otids.join("|")).digest("hex").slice(0, 16)

export class Redis {
  private readonly locks = new Map<string, { readonly token: string; readonly expiresAt: number }>()
  private readonly otidRuns = new Map<string, { readonly runId: string; readonly expiresAt: number }>()
  /** the background runs' SSE streams */
  readonly streams = new RedisStreams()

  /**
   * `acquire_conversation_lock` (non-blocking, not re-entrant): the holder's
   * token when the lock is taken, `undefined` once it is ours.
   */
  acquireLock(key: string, token: string, now: number): { readonly holder: string } | undefined {
    const held = this.locks.get(key)
    if (held !== undefined && held.expiresAt > now) return { holder: held.token }
    this.locks.set(key, { token, expiresAt: now + lockTtlMillis })
    return undefined
  }

  releaseLock(key: string): void {
    this.locks.delete(key)
  }

  isLocked(key: string, now: number): boolean {
    const held = this.locks.get(key)
    return held !== undefined && held.expiresAt > now
  }

  /** `set_otid_run_mapping` for the request token and for each otid. */
  mapRun(keys: ReadonlyArray<string>, runId: string, now: number): void {
    for (const key of keys) this.otidRuns.set(key, { runId, expiresAt: now + otidRunTtlMillis })
  }

  /** `get_run_id_by_otid`: the mapped run, unless the mapping has expired. */
  runFor(key: string, now: number): string | null {
    const mapping = this.otidRuns.get(key)
    if (mapping === undefined) return null
    // Like every Redis key, it is gone once the clock has passed its expiry time.
    if (now <= mapping.expiresAt) return mapping.runId
    this.otidRuns.delete(key)
    return null
  }
}
