import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LettaTestServer } from "effect-letta/testing"
import { call, createAgent } from "./helpers.js"

const exchanges = 600
// system message + one user and one assistant DB message per exchange
const dbMessages = 1 + 2 * exchanges
// the assistant DB message lists as reasoning + assistant
const lettaMessages = 1 + 3 * exchanges

const key = (m: any) => `${m.id}|${m.message_type}|${m.otid}`

describe("paging through a long history", () => {
  it.scoped("forwards with order=asc and after, backwards with order=desc and before", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const agentId = yield* createAgent(server)
      yield* server.seedHistory(agentId, exchanges)
      const path = `/v1/agents/${agentId}/messages`

      const forward: Array<any> = []
      let after: string | undefined
      let pages = 0
      for (;;) {
        const page = yield* call(server, "GET", `${path}?order=asc&limit=100${after === undefined ? "" : `&after=${after}`}`)
        expect(page.status).toBe(200)
        if (page.json.length === 0) break
        // `limit` counts DB messages, not LettaMessages.
        expect(new Set(page.json.map((m: any) => m.id)).size).toBeLessThanOrEqual(100)
        forward.push(...page.json)
        after = page.json[page.json.length - 1].id
        pages++
        // A cursor that does not advance would loop forever; fail instead.
        expect(pages).toBeLessThanOrEqual(dbMessages)
      }
      expect(pages).toBe(Math.ceil(dbMessages / 100))
      expect(forward).toHaveLength(lettaMessages)
      expect(new Set(forward.map(key)).size).toBe(lettaMessages)
      expect(new Set(forward.map((m) => m.id)).size).toBe(dbMessages)
      expect(forward[0].message_type).toBe("system_message")
      expect(forward[1]).toMatchObject({ message_type: "user_message", content: "Seeded message 1" })
      expect(forward.at(-1)).toMatchObject({ message_type: "assistant_message", content: `You said: Seeded message ${exchanges}` })

      const backward: Array<any> = []
      let before: string | undefined
      for (;;) {
        const page = yield* call(server, "GET", `${path}?order=desc&limit=100${before === undefined ? "" : `&before=${before}`}`)
        if (page.json.length === 0) break
        // desc pages still run oldest → newest, so the cursor for the next (older) page is the first item.
        backward.unshift(...page.json)
        before = page.json[0].id
        expect(backward.length).toBeLessThanOrEqual(lettaMessages)
      }
      expect(backward.map(key)).toEqual(forward.map(key))

      // The default page (desc, 100) is the newest 100 DB messages, oldest first.
      const newest = yield* call(server, "GET", path)
      expect(newest.json).toHaveLength(150)
      expect(newest.json[0]).toMatchObject({ message_type: "user_message", content: `Seeded message ${exchanges - 49}` })
      expect(newest.json.map(key)).toEqual(forward.slice(-150).map(key))
    }))

  it.scoped("seedHistory fails with a typed error for an unknown agent", () =>
    Effect.gen(function*() {
      const server = yield* LettaTestServer.make()
      const error = yield* server.seedHistory("agent-00000000-0000-4000-8000-000000000000", 1).pipe(Effect.flip)
      expect(error._tag).toBe("SeedError")
      expect(error.agentId).toBe("agent-00000000-0000-4000-8000-000000000000")
    }))
})
