// Checks the published shape of the package on the built dist/ and on what `npm pack` would
// upload (run `npm run build` first): the core imports only effect and @effect/platform, each
// format imports only its own files, the tarball holds what package.json points at and no
// development files, a bundle that imports only Schemas leaves the HTTP client out, and the
// built package loads in plain Node. Prints the sizes; exits 1 on any failure.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { checkImports } from "./package/importGraph.mjs"
import { checkLoads } from "./package/loads.mjs"
import { checkTarball } from "./package/tarball.mjs"
import { checkTreeShaking } from "./package/treeShaking.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
if (!existsSync(`${root}dist/esm/index.js`) || !existsSync(`${root}dist/cjs/index.js`)) {
  console.error("check-package: no dist/; run `npm run build` first")
  process.exit(1)
}

const checks = { imports: checkImports, tarball: checkTarball, "tree-shaking": checkTreeShaking, loads: checkLoads }
const failures = []
const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => {
  const notes = []
  const report = { fail: (message) => failures.push(message), note: (message) => notes.push(message) }
  await check(root, report).catch((error) => report.fail(`${name}: ${error.stack ?? error}`))
  return notes
}))

// Notes print in a fixed order, whichever check finished first.
for (const note of results.flat()) console.log(note)
if (failures.length > 0) {
  console.error(`\ncheck-package: ${failures.length} problem(s)`)
  for (const failure of failures) console.error(`  ${failure}`)
  process.exit(1)
}
console.log("\ncheck-package: ok")
