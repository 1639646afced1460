// docgen fails on an export without `@since`, but files one without `@category` under
// "utils" silently. Every export must say what it is, so a "utils" heading fails the build.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".md") ? [join(dir, entry.name)] : []
  )

const offenders = walk("docs/modules").filter((file) => /^# utils$/m.test(readFileSync(file, "utf8")))
if (offenders.length > 0) {
  console.error(`exports without @category in: ${offenders.join(", ")}`)
  process.exit(1)
}
console.log("check-docs: every export has @since and @category")
