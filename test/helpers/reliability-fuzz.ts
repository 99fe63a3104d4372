/**
 * fast-check generators for the fuzz suite: near-valid JSON (a valid wire object with a few
 * fields replaced by values of the wrong type, deleted, or joined by unknown fields), unknown
 * fields alone (which decoders must ignore), and a loopback server that answers raw bytes, for
 * bodies the emulator cannot write (its bodies are strings, so they are always valid UTF-8).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import fc from "fast-check"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type Path = ReadonlyArray<string | number>

/** Every path into a JSON value (the root included), depth first. */
export const pathsOf = (value: unknown, path: Path = [], out: Array<Path> = []): Array<Path> => {
  out.push(path)
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out))
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out)
  return out
}

/** A copy of `value` with `f` applied at `path` (`f` returns `remove` to delete the key). */
const update = (value: unknown, path: Path, f: (current: unknown) => unknown): unknown => {
  if (path.length === 0) return f(value)
  const [head, ...rest] = path
  if (Array.isArray(value)) {
    const copy = [...value]
    const next = update(copy[head as number], rest, f)
    if (next === remove) copy.splice(head as number, 1)
    else copy[head as number] = next
    return copy
  }
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    const next = update(copy[head as string], rest, f)
    if (next === remove) delete copy[head as string]
    else copy[head as string] = next
    return copy
  }
  return value
}
const remove = Symbol("remove")

/** Values of the wrong type (and odd values of the right one) to put into known fields. */
export const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1e300, -1e300, 1.5, "", "x", [], {}, [null], { "": null }, "1970-01-01", "not a date"),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>
)

/** A name no wire format uses. */
export const unknownKey: fc.Arbitrary<string> = fc.constantFrom("x_unknown", "zz_future_field", "extra", "__proto_like", "choices_v2").chain((base) =>
  fc.oneof(fc.constant(base), fc.string({ minLength: 1, maxLength: 8 }).map((s) => `${base}_${s}`)))

type Mutation =
  | { readonly kind: "set"; readonly at: number; readonly value: Json }
  | { readonly kind: "delete"; readonly at: number }
  | { readonly kind: "add"; readonly at: number; readonly key: string; readonly value: Json }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: unknownKey, value: oddValue })
)

const apply = (base: unknown, mutations: ReadonlyArray<Mutation>): unknown =>
  mutations.reduce<unknown>((value, m) => {
    const paths = pathsOf(value)
    const path = paths[m.at % paths.length]!
    switch (m.kind) {
      case "set":
        return update(value, path, () => m.value)
      case "delete":
        return path.length === 0 ? value : update(value, path, () => remove)
      case "add":
        return update(value, path, (current) =>
          current !== null && typeof current === "object" && !Array.isArray(current) ? { ...(current as object), [m.key]: m.value } : current)
    }
  }, base)

/** `base` with one to four fields replaced by odd values, deleted, or joined by unknown ones. */
export const nearValid = (base: unknown): fc.Arbitrary<unknown> =>
  fc.array(mutation, { minLength: 1, maxLength: 4 }).map((mutations) => apply(structuredClone(base), mutations))

/**
 * `base` with unknown fields added to some of its objects, never changing a known field and
 * never inside `opaque` fields: user data such as tool arguments, where every key counts, and
 * the open maps of usage counters, which the codecs pass on whole by design.
 */
export const withUnknownFields = (
  base: unknown,
  opaque: ReadonlyArray<string> = ["input", "arguments", "metadata", "completion_tokens_details", "prompt_tokens_details", "cache_creation", "server_tool_use"]
): fc.Arbitrary<unknown> =>
  fc.array(fc.record({ at: fc.nat(), key: unknownKey, value: oddValue }), { minLength: 1, maxLength: 4 }).map((adds) => {
    const known = new Set<string>()
    const collect = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(collect)
      else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) (known.add(k), collect(x))
    }
    collect(base)
    const objects = pathsOf(base).filter((path) => !path.some((key) => typeof key === "string" && opaque.includes(key)))
    return adds.filter((a) => !known.has(a.key)).reduce<unknown>((value, a) => {
      const path = objects[a.at % objects.length]!
      return update(value, path, (current) =>
        current !== null && typeof current === "object" && !Array.isArray(current) ? { ...(current as object), [a.key]: a.value } : current)
    }, structuredClone(base))
  })

/** Near-valid input, or any JSON at all. */
export const garbageOr = (base: unknown): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: nearValid(base) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) })

/** A loopback server answering every request with `respond`'s status, headers and raw bytes. */
export interface RawServer {
  readonly url: string
  respond: (request: http.IncomingMessage) => { readonly status?: number; readonly headers?: Record<string, string>; readonly chunks: ReadonlyArray<Uint8Array | string> }
  readonly close: () => Promise<void>
}

/** Starts a {@link RawServer} on 127.0.0.1 (each chunk is written as it is, then the response ends). */
export const startRawServer = async (): Promise<RawServer> => {
  const state: { respond: RawServer["respond"] } = { respond: () => ({ status: 404, chunks: [] }) }
  const server = http.createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const answer = state.respond(req)
      res.writeHead(answer.status ?? 200, { "content-type": "application/octet-stream", ...answer.headers })
      const write = (i: number): void => {
        if (i >= answer.chunks.length) return void res.end()
        // one write per chunk, each in its own turn, so the client reads them apart
        res.write(answer.chunks[i]!, () => setImmediate(() => write(i + 1)))
      }
      write(0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get respond() {
      return state.respond
    },
    set respond(f) {
      state.respond = f
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Cuts `bytes` into pieces at the given positions (any byte: multi-byte characters get split). */
export const cutBytes = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let start = 0
  for (const p of points) {
    if (p > start) out.push(bytes.subarray(start, p))
    start = Math.max(start, p)
  }
  if (start < bytes.length) out.push(bytes.subarray(start))
  return out
}

/** Cuts a text into pieces at code point boundaries (what the emulator can write). */
export const cutText = (text: string, cuts: ReadonlyArray<number>): Array<string> => {
  const points = Array.from(text)
  const positions = [...new Set(cuts.map((c) => c % (points.length + 1)))].sort((a, b) => a - b)
  const out: Array<string> = []
  let start = 0
  for (const p of positions) {
    if (p > start) out.push(points.slice(start, p).join(""))
    start = Math.max(start, p)
  }
  if (start < points.length) out.push(points.slice(start).join(""))
  return out
}
