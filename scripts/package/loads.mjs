// The built package loads in plain Node, as `import` and as `require`, by its own name (Node
// resolves a package's own name through its `exports`), and the CLI starts: no tsx, no
// vitest aliases in between.
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** For each specifier, the names its module exports, as one Node process loads it. */
const exportNames = async (root, format, specifiers) => {
  const load = format === "esm" ? "await import(s)" : "require(s)"
  const code = `(async () => {
    const names = {}
    for (const s of ${JSON.stringify(specifiers)}) {
      names[s] = Object.keys(${load}).filter((k) => k !== "default" && k !== "__esModule").sort()
    }
    console.log(JSON.stringify(names))
  })()`
  const { stdout } = await run(process.execPath, ["-e", code], { cwd: root })
  return JSON.parse(stdout)
}

/** The modules whose subpath is not the very module the index re-exports (a copy, a subset). */
const subpathsDiffer = async (root, name, modules) => {
  const code = `import * as index from "${name}"
    const differ = []
    for (const m of ${JSON.stringify(modules)}) {
      const sub = await import("${name}/" + m)
      const keys = new Set([...Object.keys(sub), ...Object.keys(index[m])])
      if ([...keys].some((k) => sub[k] !== index[m][k])) differ.push(m)
    }
    console.log(JSON.stringify(differ))`
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: root })
  return JSON.parse(stdout)
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)

export const checkLoads = async (root, report) => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  // The namespaces the index is meant to export, from its source; each is also a subpath.
  const index = readFileSync(join(root, "src/index.ts"), "utf8")
  const modules = [...index.matchAll(/^export \* as (\w+) from/gm)].map((m) => m[1]).sort()
  const subpaths = Object.keys(pkg.exports).filter((s) => s !== "./package.json")
  const expected = [".", "./testing", ...modules.map((m) => `./${m}`)]
  if (!same([...subpaths].sort(), [...expected].sort())) {
    report.fail(`exports: ${subpaths.join(", ")}; expected ${expected.join(", ")} (src/index.ts's modules)`)
  }
  for (const module of modules) {
    if (pkg.typesVersions?.["*"]?.[module] === undefined) report.fail(`typesVersions: no entry for ${module}`)
  }

  const specifiers = subpaths.map((s) => s === "." ? pkg.name : `${pkg.name}/${s.slice(2)}`)
  const [esm, cjs, differ] = await Promise.all([
    exportNames(root, "esm", specifiers),
    exportNames(root, "cjs", specifiers),
    subpathsDiffer(root, pkg.name, modules)
  ])
  for (const specifier of specifiers) {
    if (!same(esm[specifier], cjs[specifier])) {
      report.fail(`${specifier}: import gives ${esm[specifier]} but require gives ${cjs[specifier]}`)
    }
  }
  if (!same(esm[pkg.name], modules)) report.fail(`${pkg.name} exports ${esm[pkg.name]}; src/index.ts names ${modules}`)
  for (const module of differ) report.fail(`${pkg.name}/${module} differs from ${pkg.name}'s ${module}`)

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
  report.note(`loads: ${specifiers.length} entry points give the same exports by import and require; bin --help runs`)
}
