/**
 * The bench's TypeScript as plain JavaScript, for the child processes that measure memory.
 * Under tsx every module a process loads, node_modules included, goes through tsx's transform
 * and keeps an inline source map in its source text: 9 MB more heap after a full GC for
 * effect-llm-direct (39 vs 30 MB), 4 MB more for one provider SDK. An application runs
 * compiled JavaScript on plain Node, so the children do too: `src` is transpiled once per bench
 * run (esbuild, file by file, imports unchanged) into `.build/`, beside `node_modules`, so
 * packages resolve as they do for the sources.
 */
import { fileURLToPath } from "node:url"
import { relative } from "node:path"

const src = fileURLToPath(new URL("..", import.meta.url))
const out = fileURLToPath(new URL("../../.build", import.meta.url))

let built: Promise<void> | undefined

const build = async (): Promise<void> => {
  const esbuild = await import("esbuild")
  await esbuild.build({
    entryPoints: [`${src}/**/*.ts`],
    outdir: out,
    outbase: src,
    format: "esm",
    platform: "node",
    target: "node20",
    bundle: false,
    logLevel: "warning"
  })
}

/** The compiled JavaScript of a file under `src/` (compiled on first use). */
export const compiledScript = async (tsFile: string): Promise<string> => {
  built ??= build()
  await built
  return `${out}/${relative(src, tsFile).replace(/\.ts$/, ".js")}`
}
