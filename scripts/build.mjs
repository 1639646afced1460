// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own .d.ts files.
// Two plain `tsc` runs keep one output file per source module, so bundlers can tree-shake
// and `sideEffects: false` holds. The nested package.json files tell Node (and TypeScript)
// which module format each folder holds.
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs"

const tsc = (project) => execFileSync("npx", ["tsc", "-p", project], { stdio: "inherit" })

rmSync("dist", { recursive: true, force: true })
tsc("tsconfig.build.json")
tsc("tsconfig.build.cjs.json")
mkdirSync("dist/esm", { recursive: true })
writeFileSync("dist/esm/package.json", JSON.stringify({ type: "module" }) + "\n")
writeFileSync("dist/cjs/package.json", JSON.stringify({ type: "commonjs" }) + "\n")
chmodSync("dist/esm/bin/server.js", 0o755)
