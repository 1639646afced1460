// Whether a bundler drops what an app does not use: an app that imports only `Schemas` from
// the package's index must not carry the HTTP client. Bundles tiny apps with esbuild the way
// an app would (through the package name, so package.json's `exports` and `sideEffects`
// apply) and reads esbuild's metafile for which built files ended up in the output.
import { gzipSync } from "node:zlib"
import * as esbuild from "esbuild"
import { graph } from "./importGraph.mjs"

const apps = {
  schemas: `import { Schemas } from "effect-letta"\nconsole.log(Schemas.LettaMessage)\n`,
  client: `import { LettaClient } from "effect-letta"\nconsole.log(LettaClient.layerConfig())\n`,
  // esbuild keeps a namespace re-exported with `export * as` whole once any member is used
  // (evanw/esbuild#1420); the subpath is how its users get only the schemas they use.
  oneSchema: `import { Schemas } from "effect-letta"\nconsole.log(Schemas.TextContent)\n`,
  oneSchemaSubpath: `import { TextContent } from "effect-letta/Schemas"\nconsole.log(TextContent)\n`
}

// Named so a failure reads plainly; the check below does not depend on the list being complete.
const clientModules = [
  "LettaClient.js",
  "Messages.js",
  "Runs.js",
  "Agents.js",
  "Conversations.js",
  "internal/transport.js",
  "internal/lettaStream.js",
  "internal/sseParser.js",
  "internal/httpErrors.js"
]

const bundle = async (root, app, peers) => {
  const result = await esbuild.build({
    absWorkingDir: root,
    stdin: { contents: apps[app], resolveDir: root, sourcefile: `${app}-app.js` },
    bundle: true,
    write: false,
    format: "esm",
    minify: true,
    platform: "neutral",
    mainFields: ["module", "main"],
    metafile: true,
    logLevel: "silent",
    // The project's tsconfig maps "effect-letta" to src/; an app sees the built package.
    tsconfigRaw: {},
    external: peers === "external" ? ["effect", "effect/*", "@effect/platform", "@effect/platform/*"] : []
  })
  const [output] = Object.values(result.metafile.outputs)
  const contents = result.outputFiles[0].contents
  return {
    bytes: contents.length,
    gzip: gzipSync(contents).length,
    // Files a bundle merely looked at but dropped every byte of are not in it.
    files: Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([file]) => file)
  }
}

export const checkTreeShaking = async (root, report) => {
  const names = Object.keys(apps)
  const [external, bundled, schemasModule] = await Promise.all([
    Promise.all(names.map((app) => bundle(root, app, "external"))),
    Promise.all(names.map((app) => bundle(root, app, "bundled"))),
    graph(root, "dist/esm/Schemas.js")
  ])
  const byApp = (bundles) => Object.fromEntries(names.map((name, i) => [name, bundles[i]]))
  const { schemas, client } = byApp(external)

  for (const module of clientModules) {
    if (schemas.files.includes(`dist/esm/${module}`)) report.fail(`Schemas-only bundle contains the client's ${module}`)
    if (!client.files.includes(`dist/esm/${module}`)) {
      report.fail(`LettaClient bundle lacks ${module}: is the check still looking at the right files?`)
    }
  }
  // Importing Schemas, whichever way, may cost what importing Schemas.js alone would, no more.
  const ownFiles = new Set(Object.keys(schemasModule))
  for (const app of ["schemas", "oneSchema", "oneSchemaSubpath"]) {
    const extra = byApp(external)[app].files.filter((file) =>
      file.startsWith("dist/") && !ownFiles.has(file) && !clientModules.includes(file.replace("dist/esm/", ""))
    )
    if (extra.length > 0) report.fail(`${app} bundle contains modules Schemas does not use: ${extra.join(", ")}`)
    const platform = byApp(bundled)[app].files.filter((file) => file.includes("node_modules/@effect/platform/"))
    if (platform.length > 0) {
      const names = platform.map((file) => file.replace(/.*node_modules\/@effect\/platform\/dist\/esm\//, ""))
      report.fail(`${app} bundle contains @effect/platform's ${names.join(", ")}`)
    }
  }

  const size = ({ bytes, gzip }) => `${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip)`
  const ours = (b) => b.files.filter((f) => f.startsWith("dist/")).length
  const rows = {
    schemas: "Schemas.LettaMessage",
    client: "LettaClient.layerConfig",
    oneSchema: "Schemas.TextContent",
    oneSchemaSubpath: "TextContent from /Schemas"
  }
  report.note(`bundles (esbuild, ESM, minified)  our files  effect and @effect/platform external | bundled`)
  names.forEach((app, i) => {
    const line = `  ${rows[app].padEnd(28)} ${String(ours(external[i])).padStart(5)}     ${size(external[i]).padEnd(28)}`
    report.note(`${line} | ${size(bundled[i])}`)
  })
}
