// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own .d.ts files.
// Two plain `tsc` runs keep one output file per source module, so bundlers can tree-shake
// and `sideEffects: false` holds. The nested package.json files tell Node (and TypeScript)
// which module format each folder holds. Bundlers (esbuild, webpack) read `sideEffects` from
// the package.json nearest to a file, so these must repeat it: without it a bundle that
// imports only `Schemas` from the index keeps every module, the HTTP client included.
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs"

const tsc = (project) => execFileSync("npx", ["tsc", "-p", project], { stdio: "inherit" })

rmSync("dist", { recursive: true, force: true })
tsc("tsconfig.build.json")
tsc("tsconfig.build.cjs.json")
mkdirSync("dist/esm", { recursive: true })
const nested = (type) => JSON.stringify({ type, sideEffects: false }) + "\n"
writeFileSync("dist/esm/package.json", nested("module"))
writeFileSync("dist/cjs/package.json", nested("commonjs"))
chmodSync("dist/esm/bin/server.js", 0o755)
