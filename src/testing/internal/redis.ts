/**
 * What the real server keeps in Redis, as far as foreground streaming needs it:
 * the conversation locks and the request-token → run mappings that name the
 * lock holder in 409 bodies. The test server behaves like a server WITH Redis
 * for locking (so the 409 paths are reachable) but without Redis streams, so
 * `background: true` still answers 503.
 */
import { createHash, randomUUID } from "node:crypto"

/** `CONVERSATION_LOCK_TTL_SECONDS`: a lock nobody releases expires after five minutes. */
export const lockTtlMillis = 300_000

/** `derive_request_token`: a hash of all message otids, or a random token without any. */
export const requestToken = (otids: ReadonlyArray<string>): string =>
  otids.length === 0 ? randomUUID() : createHash("sha256").update(otids.join("|")).digest("hex").slice(0, 16)

export class Redis {
  private readonly locks = new Map<string, { readonly token: string; readonly expiresAt: number }>()
  private readonly otidRuns = new Map<string, string>()

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
  mapRun(keys: ReadonlyArray<string>, runId: string): void {
    for (const key of keys) this.otidRuns.set(key, runId)
  }

  runFor(key: string): string | null {
    return this.otidRuns.get(key) ?? null
  }
}
