import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests import the package by its public name, as users do.
    alias: [
      { find: /^effect-letta\/testing$/, replacement: src("testing/index.ts") },
      { find: /^effect-letta$/, replacement: src("index.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Wire tests start real loopback servers; give slow CI machines room without
    // letting a hung test stall the run.
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
