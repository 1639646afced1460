/**
 * The contenders run as plain JavaScript under plain `node`, as an application runs in
 * production: under `tsx` every module loaded goes through its loader, which costs this
 * library's few hundred modules (Effect's included) some 60 MB of resident memory that the
 * official SDK's handful does not pay. So the library and `contender.ts` are transpiled
 * (TypeScript's `transpileModule`, no type check, one output file per source) into
 * `.bench/js`, where `effect-letta` is the transpiled `src`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = join(root, ".bench", "js")

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")
      ? [join(dir, entry.name)]
      : []
  )

const transpile = (file: string, target: string) => {
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
      isolatedModules: true
    }
  })
  // `effect-letta` is this package: its transpiled `src`, relative to the file.
  const library = relative(dirname(target), join(out, "lib", "index.js")).replace(/^(?!\.)/, "./")
  mkdirSync(dirname(target), { recursive: true })
  writeFileSync(target, outputText.replace(/(["'])effect-letta\1/g, `"${library}"`))
}

/** Transpiles the library and the contender; returns the contender's path. */
export const compileContender = (): string => {
  rmSync(out, { recursive: true, force: true })
  const src = join(root, "src")
  for (const file of sources(src)) transpile(file, join(out, "lib", relative(src, file)).replace(/\.ts$/, ".js"))
  const contender = join(out, "contender.js")
  transpile(join(root, "bench", "contender.ts"), contender)
  return contender
}
