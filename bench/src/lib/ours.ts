/**
 * Our contenders' shared parts: a `LanguageModel` runtime built once, before measuring (a
 * ManagedRuntime over `Provider.languageModel(name)` + `Provider.layer({ apiKey, baseURL })`), so
 * layer construction and client creation are not in the timed region, as in an application that
 * builds its layers at start-up; and the facade pointed at the emulator through the environment.
 */
import { performance } from "node:perf_hooks"
import { Effect, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { API_KEY } from "./payload.js"
import { direct, provider } from "./library.js"
import type { Sample } from "../scenarios/types.js"

type Library = typeof import("effect-llm-direct")
type LanguageModelTag = import("effect-llm-direct").LanguageModel.LanguageModel
type Event = import("effect-llm-direct").StreamEvent.ModelResponseStreamEvent

export interface OurModel {
  readonly lib: Library
  readonly runtime: ManagedRuntime.ManagedRuntime<LanguageModelTag, unknown>
}

/** Builds `Provider.languageModel(model)` over `Provider.layer({ apiKey, baseURL })` and runs its construction now. */
export const ourModel = async (
  name: "OpenAi" | "Anthropic",
  model: string,
  baseURL: string,
  /** The provider's model-layer constructor (OpenAi's `responsesLanguageModel` for the Responses API). */
  constructor: "languageModel" | "responsesLanguageModel" = "languageModel"
): Promise<OurModel> => {
  const { lib, provider: ns } = await provider(name)
  const clientLayer = (ns.layer as (options: { apiKey: Redacted.Redacted<string>; baseURL: string }) => Layer.Layer<never, unknown, never>)({
    apiKey: Redacted.make(API_KEY),
    baseURL
  })
  const modelLayer = (ns[constructor] as (model: string) => Layer.Layer<LanguageModelTag, unknown, never>)(model)
  const runtime = ManagedRuntime.make(Layer.provide(modelLayer, clientLayer))
  await runtime.runtime()
  return { lib, runtime }
}

/**
 * Text and the number of non-empty text pieces of a stream's events (a part may start with the
 * first piece of text in it, so that piece counts as a delta too).
 */
export const describeEvents = (events: Iterable<Event>): Sample => {
  let deltas = 0
  let text = ""
  const add = (piece: string) => {
    if (piece === "") return
    deltas++
    text += piece
  }
  for (const event of events) {
    if (event._tag === "PartStartEvent" && event.part._tag === "TextPart") add(event.part.content)
    if (event._tag === "PartDeltaEvent" && event.delta._tag === "TextPartDelta") add(event.delta.contentDelta)
  }
  return { text, deltas }
}

/** Collects a stream's events (for samples only, never in the timed region). */
export const collect = <E>(stream: Stream.Stream<Event, E, LanguageModelTag>, runtime: OurModel["runtime"]): Promise<Array<Event>> =>
  runtime.runPromise(Effect.map(Stream.runCollect(stream), (chunk) => Array.from(chunk)))

/** The facade, configured from the environment as a user would (OPENAI_BASE_URL, OPENAI_API_KEY, ...). */
export const facade = async (variables: Readonly<Record<string, string>>) => {
  Object.assign(process.env, variables)
  return direct()
}

/** Whether an event carries text (the first text delta, or a part that starts with text). */
export const isTextEvent = (event: Event): boolean =>
  (event._tag === "PartDeltaEvent" && event.delta._tag === "TextPartDelta" && event.delta.contentDelta !== "") ||
  (event._tag === "PartStartEvent" && event.part._tag === "TextPart" && event.part.content !== "")

/**
 * Drains a stream (Stream.runDrain) and returns the time from the call to its first text event,
 * ms; the check looks at whole chunks until it finds one, so the drain stays per chunk.
 */
export const drainTimed = async <E>(stream: Stream.Stream<Event, E, LanguageModelTag>, runtime: OurModel["runtime"]): Promise<number | undefined> => {
  const start = performance.now()
  let first: number | undefined
  await runtime.runPromise(Stream.runDrain(Stream.mapChunks(stream, (chunk) => {
    if (first === undefined) for (const event of chunk) if (isTextEvent(event)) first ??= performance.now() - start
    return chunk
  })))
  return first
}

/** Iterates the facade's stream to the end; returns the time to its first text event, ms. */
export const iterateTimed = async (events: AsyncIterable<Event>): Promise<number | undefined> => {
  const start = performance.now()
  let first: number | undefined
  for await (const event of events) if (first === undefined && isTextEvent(event)) first = performance.now() - start
  return first
}
