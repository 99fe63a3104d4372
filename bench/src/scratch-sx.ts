import { Effect, Either, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import OpenAI from "openai"
import { performance } from "node:perf_hooks"
import { startEmulatorProcess } from "./lib/emulator.js"
import { median } from "./lib/stats.js"
const OAI = await import("/work/main/dist/providers/openai/OpenAiLanguageModel.js")
const Client = await import("/work/main/dist/providers/openai/OpenAiClient.js")
const { OpenAi, LanguageModel, Message } = await import("effect-llm-direct")
const { ModelRequestParameters } = await import("/work/main/dist/Parameters.js")
const emu = await startEmulatorProcess()
const H = { "x-emulator-deltas": "200" }
const client = new OpenAI({ apiKey: "sk-x", baseURL: emu.openaiBaseURL, maxRetries: 0 })
const open = () => client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "What is the capital of France?" }], stream: true, stream_options: { include_usage: true } }, { headers: H })
const params = ModelRequestParameters.from(undefined)
const rt = ManagedRuntime.make(Layer.provide(OpenAi.languageModel("gpt-4o-mini"), OpenAi.layer({ apiKey: Redacted.make("sk-x"), baseURL: emu.openaiBaseURL })))
await rt.runtime()
const impl = OAI.implementation(Client.make({ apiKey: "sk-x", baseURL: emu.openaiBaseURL }), "gpt-4o-mini")
const msgs = [Message.ModelRequest.userTextPrompt("What is the capital of France?")]
const v: Record<string, () => Promise<unknown>> = {
  raw: async () => { for await (const c of await open()) void c },
  fromAsyncIterable: () => rt.runPromise(Effect.flatMap(Effect.promise(() => open()), (s) => Stream.runDrain(Stream.fromAsyncIterable(s, (e) => e)))),
  "+decoder": () => rt.runPromise(Effect.flatMap(Effect.promise(() => open()), (s) => { const d = new OpenAi.Codec.StreamDecoder(params, { requestedModel: "m" }); return Stream.runDrain(Stream.fromAsyncIterable(s, (e) => e).pipe(Stream.mapEffect((c) => d.chunk(c)), Stream.flattenIterables, Stream.concat(Stream.fromIterableEffect(Effect.suspend(() => d.end()))))) })),
  "impl.openStream": () => rt.runPromise(Stream.runDrain(Stream.unwrapScoped(impl.openStream(msgs, { parameters: params, settings: { extraHeaders: H } })))),
  "svc no span no retry": () => rt.runPromise(Stream.runDrain(LanguageModel.requestStream(msgs, { settings: { extraHeaders: H }, instrument: false, retry: false }))),
  "svc no span": () => rt.runPromise(Stream.runDrain(LanguageModel.requestStream(msgs, { settings: { extraHeaders: H }, instrument: false }))),
  "svc full": () => rt.runPromise(Stream.runDrain(LanguageModel.requestStream(msgs, { settings: { extraHeaders: H } }))),
}
const names = Object.keys(v)
for (const n of names) for (let i = 0; i < 50; i++) await v[n]!()
const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
const N = 20
for (let r = 0; r < 10; r++) for (let k = 0; k < names.length; k++) {
  const n = names[(k + r) % names.length]!
  const c0 = process.cpuUsage(); const t = performance.now()
  for (let i = 0; i < N; i++) await v[n]!()
  wall[n]!.push((performance.now() - t) / N); const c = process.cpuUsage(c0); cpu[n]!.push((c.user + c.system) / 1000 / N)
}
for (const n of names) console.log(n.padEnd(22), "wall", median(wall[n]!).toFixed(2), "ms  cpu", median(cpu[n]!).toFixed(2), "ms")
await rt.dispose(); await emu.stop()
