// What `npm publish` would upload, from `npm pack --dry-run`: everything package.json points
// at, the sources the source maps point at, and nothing else.
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, posix } from "node:path"
import { promisify } from "node:util"

const rootFiles = new Set(["package.json", "README.md", "LICENSE"])

// Development files that must never ship, wherever they sit.
const devOnly = [
  /(^|\/)(test|tests|__tests__|examples|bench|scripts|coverage|node_modules|\.ci|\.scratch|\.bench)\//,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /\.tsbuildinfo$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /(^|\/)vitest\.config\./,
  /\.tgz$/
]

/** The `npm pack --dry-run --json` summary: size, unpacked size, entry count and files. */
export const packSummary = async (root) => {
  // --ignore-scripts: a pack script must not run (or rebuild) behind the check's back.
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024
  })
  return JSON.parse(stdout)[0]
}

/** Every file package.json names: exports targets, main/module/types, typesVersions, bin. */
export const pointedAt = (pkg) => {
  const targets = []
  const walk = (value) => {
    if (typeof value === "string") targets.push(value)
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk)
  }
  walk(pkg.exports)
  walk(pkg.typesVersions)
  walk(pkg.bin)
  targets.push(pkg.main, pkg.module, pkg.types)
  return [...new Set(targets.filter((t) => t !== undefined).map((t) => posix.normalize(t)))]
}

export const checkTarball = async (root, report) => {
  const pack = await packSummary(root)
  const files = new Set(pack.files.map((f) => f.path))
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))

  for (const file of files) {
    if (!rootFiles.has(file) && !file.startsWith("dist/") && !file.startsWith("src/")) {
      report.fail(`tarball: unexpected ${file}`)
    }
    if (devOnly.some((pattern) => pattern.test(file))) report.fail(`tarball: development file ${file}`)
  }
  const required = [...rootFiles, "dist/esm/package.json", "dist/cjs/package.json", ...pointedAt(pkg)]
  for (const file of required) {
    if (!files.has(file)) report.fail(`tarball: missing ${file}`)
  }

  // src/ ships for the source maps (they point into it); a source no map points at is dead
  // weight, and a map pointing at a source not shipped is broken in every debugger.
  const mapped = new Set()
  for (const file of files) {
    if (!file.endsWith(".map")) continue
    const map = JSON.parse(readFileSync(join(root, file), "utf8"))
    for (const source of map.sources) {
      const path = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? "", source))
      mapped.add(path)
      if (!files.has(path)) report.fail(`tarball: ${file} points at ${path}, which is not in the tarball`)
    }
  }
  for (const file of files) {
    if (file.startsWith("src/") && !mapped.has(file)) report.fail(`tarball: ${file} ships but no source map uses it`)
  }

  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
  const count = (prefix) => [...files].filter((f) => f.startsWith(prefix)).length
  report.note(
    `tarball: ${pack.filename}, ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files ` +
      `(dist/esm ${count("dist/esm/")}, dist/cjs ${count("dist/cjs/")}, src ${count("src/")})`
  )
}
