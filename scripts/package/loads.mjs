// The built package loads in plain Node, as `import` and as `require`, by its own name (Node
// resolves a package's own name through its `exports`), and the CLI starts: no tsx, no
// vitest aliases in between.
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

const keysOf = async (root, format, specifier) => {
  const code = format === "esm"
    ? `import(${JSON.stringify(specifier)}).then((m) => console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort())))`
    : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).filter((k) => k !== "__esModule").sort()))`
  const { stdout } = await run(process.execPath, ["-e", code], { cwd: root })
  return JSON.parse(stdout)
}

export const checkLoads = async (root, report) => {
  // The namespaces the index is meant to export, from its source.
  const index = readFileSync(join(root, "src/index.ts"), "utf8")
  const expected = [...index.matchAll(/^export \* as (\w+) from/gm)].map((m) => m[1]).sort()
  for (const specifier of ["effect-letta", "effect-letta/testing"]) {
    const [esm, cjs] = await Promise.all([keysOf(root, "esm", specifier), keysOf(root, "cjs", specifier)])
    if (JSON.stringify(esm) !== JSON.stringify(cjs)) {
      report.fail(`${specifier}: import gives ${esm.join(", ")} but require gives ${cjs.join(", ")}`)
    }
    if (specifier === "effect-letta" && JSON.stringify(esm) !== JSON.stringify(expected)) {
      report.fail(`effect-letta exports ${esm.join(", ")}; src/index.ts names ${expected.join(", ")}`)
    }
  }

  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  for (const [name, file] of Object.entries(pkg.bin ?? {})) {
    if (!readFileSync(join(root, file), "utf8").startsWith("#!/usr/bin/env node\n")) {
      report.fail(`bin ${name}: ${file} does not start with #!/usr/bin/env node`)
    }
    const help = await run(process.execPath, [file, "--help"], { cwd: root }).then(
      ({ stderr }) => stderr.startsWith("usage:") ? undefined : `printed ${JSON.stringify(stderr)}`,
      (error) => `failed: ${error.stderr || error.message}`
    )
    if (help !== undefined) report.fail(`bin ${name}: \`${file} --help\` ${help}`)
  }
  report.note(`loads: import and require of effect-letta and effect-letta/testing agree; bin --help runs`)
}
