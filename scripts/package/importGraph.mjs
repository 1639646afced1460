// What each published entry point imports, read from the built files themselves (esbuild
// follows every relative import and records every package import without resolving it), so
// it catches what the source cannot show: an import tsc rewrote, or a CJS file that requires
// the ESM build.
import { builtinModules } from "node:module"
import * as esbuild from "esbuild"

const peer = /^(effect|@effect\/platform)(\/|$)/
const builtins = new Set(builtinModules)
const isBuiltin = (path) => path.startsWith("node:") || builtins.has(path.split("/")[0])

/**
 * The entry points and what each may import besides its own files. The core must run
 * wherever `effect` does (browsers, Deno, Bun, workers), so it gets the peer dependencies
 * only; the test server and its CLI are Node programs. Nothing may import a package that is
 * not a peer dependency: users would not have it.
 */
export const entries = [
  { name: "core (ESM)", file: "dist/esm/index.js", format: "esm", mayImport: (p) => peer.test(p) },
  { name: "core (CJS)", file: "dist/cjs/index.js", format: "cjs", mayImport: (p) => peer.test(p) },
  { name: "testing (ESM)", file: "dist/esm/testing/index.js", format: "esm", mayImport: (p) => peer.test(p) || isBuiltin(p) },
  { name: "testing (CJS)", file: "dist/cjs/testing/index.js", format: "cjs", mayImport: (p) => peer.test(p) || isBuiltin(p) },
  { name: "bin", file: "dist/esm/bin/server.js", format: "esm", mayImport: (p) => peer.test(p) || isBuiltin(p) }
]

/** The files an entry reaches and the imports each makes, as esbuild's metafile records them. */
export const graph = async (root, file) => {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    platform: "neutral",
    logLevel: "silent",
    // The project's tsconfig maps "effect-letta" to src/; the built files must stand alone.
    tsconfigRaw: {},
    plugins: [{
      name: "packages-stay-external",
      setup: (build) => build.onResolve({ filter: /^[^./]/ }, ({ path }) => ({ path, external: true }))
    }]
  })
  return result.metafile.inputs
}

/** Reports every import an entry may not make, and every file of the other module format it reaches. */
export const checkImports = async (root, report) => {
  for (const entry of entries) {
    const inputs = await graph(root, entry.file)
    const folder = entry.file.split("/").slice(0, 2).join("/") + "/"
    const core = entry.name.startsWith("core")
    for (const [file, input] of Object.entries(inputs)) {
      if (!file.startsWith(folder)) report.fail(`${entry.name}: reaches ${file}, outside ${folder}`)
      // esbuild tells the format from the syntax, so an ESM file in dist/cjs shows up here.
      if (input.format !== undefined && input.format !== entry.format) {
        report.fail(`${entry.name}: ${file} is ${input.format}, expected ${entry.format}`)
      }
      if (core && /\/(testing|bin)\//.test(file)) report.fail(`${entry.name}: reaches ${file}`)
      for (const { path, external } of input.imports) {
        if (external && !entry.mayImport(path)) report.fail(`${entry.name}: ${file} imports "${path}"`)
      }
    }
    const packages = new Set(Object.values(inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path)))
    report.note(
      `${entry.name}: ${Object.keys(inputs).length} files; imports ${[...packages].sort().join(", ")}`
    )
  }
}
