#!/usr/bin/env node
// The packed package as a new user meets it. Installs the tarball with the README's install line
// (its first `npm install effect-llm-direct …` line, the package name replaced by the tarball)
// into three fresh projects:
//   esm     a fresh ES-module project ("type": "module")
//   cjs     a fresh CommonJS project (what `npm init -y` makes)
//   effect4 a project that already has npm's latest `effect` installed
// and in each type-checks (module nodenext) and runs a small program that imports the main
// entry, /direct and /testing and answers a request with the TestModel (no network).
// An install that warns EBADENGINE or ERESOLVE fails the run.
//
//   node scripts/smoke-package.mjs [path/to/effect-llm-direct-x.y.z.tgz]
// SMOKE_ONLY=cjs,esm picks projects; SMOKE_VERBOSE=1 prints every log; SMOKE_KEEP=1 keeps them;
// SMOKE_INSTALL_LINE tries an install line before the README has it.
// Without a tarball it packs the package (which builds it). Installs use npm's cache
// (--prefer-offline) and the npm registry only.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const npmFlags = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=warn"]

const run = (cwd, command, args) =>
  new Promise((done) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: "0", npm_config_update_notifier: "false" } }, (error, stdout, stderr) =>
      done({ ok: error === null, output: `${stdout}${stderr}`, command: `${command} ${args.join(" ")}` })
    )
  })

// the README's install line: the single place a user copies it from
const installLine = () => {
  if (process.env.SMOKE_INSTALL_LINE !== undefined) return process.env.SMOKE_INSTALL_LINE // to try a line before the README has it
  const line = readFileSync(join(root, "README.md"), "utf8")
    .split("\n")
    .map((l) => l.trim().replace(/^\$\s*/, ""))
    .find((l) => /^npm (install|i) effect-llm-direct(\s|$)/.test(l))
  if (line === undefined) throw new Error("README.md has no `npm install effect-llm-direct …` line")
  return line.replace(/\s+#.*$/, "")
}

const pack = async () => {
  const dir = mkdtempSync(join(tmpdir(), "effect-llm-direct-pack-"))
  const result = await run(root, npm, ["pack", "--pack-destination", dir, "--silent"])
  if (!result.ok) throw new Error(`npm pack failed\n${result.output}`)
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))
  return join(dir, tgz)
}

// the main entry, /direct and /testing; TestModel answers through the Effect API and the Promise
// facade, and the emulator (loopback) through the OpenAI and Anthropic SDKs, which the package
// imports on first use: from CommonJS too
const program = `import { Effect } from "effect"
import { Anthropic, LanguageModel, Message, OpenAi } from "effect-llm-direct"
import { modelRequest, ModelRequest } from "effect-llm-direct/direct"
import { startEmulator, TestModel } from "effect-llm-direct/testing"

const main = async (): Promise<void> => {
  const messages = [Message.ModelRequest.userTextPrompt("What is the capital of France?")]
  const model = TestModel.layer({ customOutputText: "Paris" })
  const viaEffect = await Effect.runPromise(Effect.provide(LanguageModel.request(messages), model))
  const viaPromise = await modelRequest(model, [ModelRequest.userTextPrompt("And of Italy?")])
  const emulator = await startEmulator()
  try {
    const openai = OpenAi.model("gpt-4o-mini", { client: { apiKey: "test", baseURL: emulator.openaiBaseURL } })
    const anthropic = Anthropic.model("claude-haiku-4-5", { client: { apiKey: "test", baseURL: emulator.anthropicBaseURL } })
    const viaOpenAi = await Effect.runPromise(Effect.provide(LanguageModel.request(messages), openai))
    const viaAnthropic = await Effect.runPromise(Effect.provide(LanguageModel.request(messages), anthropic))
    const sdks = viaOpenAi.text.length > 0 && viaAnthropic.text.length > 0 ? "answered" : "empty"
    console.log(\`smoke ok: \${viaEffect.text} / \${viaPromise.text}; the SDKs on the emulator: \${sdks}\`)
  } finally {
    await emulator.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
`

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    // the repository's TypeScript and @types/node check the program: they are not part of the install
    typeRoots: [join(root, "node_modules/@types")],
    types: ["node"],
    strict: true,
    skipLibCheck: true,
    outDir: "out",
    rootDir: "."
  },
  files: ["main.ts"]
}

// EBADENGINE is a failure on a Node the package's engines accept: a dependency wants a newer one.
// Below the package's own minimum, npm rightly warns about the package itself; that is not checked.
const engines = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines?.node ?? ""
const minimumMajor = Number(/^>=\s*(\d+)/.exec(engines)?.[1] ?? 0)
const engineChecked = Number(process.versions.node.split(".")[0]) >= minimumMajor

const scenarios = {
  esm: { type: "module", before: [] },
  cjs: { type: undefined, before: [] },
  effect4: { type: undefined, before: [["install", "effect", ...npmFlags]] }
}

const smoke = async (name, scenario, tarball, line) => {
  const dir = mkdtempSync(join(tmpdir(), `effect-llm-direct-smoke-${name}-`))
  const log = []
  const step = async (command, args) => {
    const started = Date.now()
    const result = await run(dir, command, args)
    log.push(`$ ${result.command}   (${((Date.now() - started) / 1000).toFixed(1)} s)\n${result.output}`)
    if (!result.ok) throw new Error(`${name}: \`${result.command}\` failed`)
    return result.output
  }
  try {
    await step(npm, ["init", "-y"])
    if (scenario.type !== undefined) await step(npm, ["pkg", "set", `type=${scenario.type}`])
    for (const args of scenario.before) await step(npm, args)
    if (name === "effect4") {
      const major = JSON.parse(readFileSync(join(dir, "node_modules/effect/package.json"), "utf8")).version.split(".")[0]
      log.push(`(effect ${major}.x installed first)`)
    }
    const args = line.split(/\s+/).slice(1).map((a) => (a === "effect-llm-direct" ? tarball : a))
    const installed = await step(npm, [...args, ...npmFlags])
    const warned = installed.split("\n").filter((l) => (engineChecked ? /EBADENGINE|ERESOLVE/ : /ERESOLVE/).test(l))
    if (warned.length > 0) throw new Error(`${name}: the install line warned:\n${warned.join("\n")}`)
    writeFileSync(join(dir, "main.ts"), program)
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
    await step(process.execPath, [tsc, "-p", "tsconfig.json"])
    const out = await step(process.execPath, [join("out", "main.js")])
    if (!out.includes("smoke ok: Paris / Paris; the SDKs on the emulator: answered")) throw new Error(`${name}: the program printed no "smoke ok" line`)
    const format = scenario.type === "module" ? "ESM" : "CommonJS"
    return { name, ok: true, summary: `${name} (${format}): ${out.trim()}`, log }
  } catch (error) {
    return { name, ok: false, summary: error.message, log }
  } finally {
    if (process.env.SMOKE_KEEP === undefined) rmSync(dir, { recursive: true, force: true })
    else log.push(`(kept ${dir})`)
  }
}

const main = async () => {
  const line = installLine()
  const tarball = process.argv[2] !== undefined ? resolve(process.argv[2]) : await pack()
  console.log(`README install line: ${line}\ntarball: ${tarball}`)
  if (!engineChecked) console.log(`Node ${process.versions.node} is below the package's engines (${engines}): EBADENGINE warnings are expected and not checked`)
  const only = process.env.SMOKE_ONLY?.split(",") // e.g. SMOKE_ONLY=cjs to try one project
  const chosen = Object.entries(scenarios).filter(([name]) => only === undefined || only.includes(name))
  const results = await Promise.all(chosen.map(([name, s]) => smoke(name, s, tarball, line)))
  for (const r of results) {
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.summary}`)
    if (!r.ok || process.env.SMOKE_VERBOSE !== undefined) console.log(r.log.join("\n").replace(/^/gm, "    | "))
  }
  if (results.some((r) => !r.ok)) process.exit(1)
}

await main()
