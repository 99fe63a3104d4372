/**
 * The body of an Anthropic batch create, `{"requests":[item,...]}`, from a request list, and
 * what a create must know of the list before it sends anything ({@link plan}): its size, the
 * headers every request shares, the warnings, the first request that cannot be encoded.
 *
 * Nothing is kept per request. Items are encoded and serialized a group at a time, one
 * `JSON.stringify` per group (twice as fast as one per item, and no per-item string to keep):
 * {@link plan} counts the bytes of the groups and drops them, {@link bodyChunks} encodes them
 * again as the upload reads them. Memory holds the requests and one group, never the body.
 * @internal
 */
import type { InvalidInputError, UnsupportedError } from "../../AiError.js"
import type { BatchRequest } from "../../Batch.js"
import { groupWarnings, listed } from "../../internal/batchWarnings.js"
import type { BatchItem, EncodedItem } from "./batchCodec.js"
import { Either } from "effect"

/** Encodes one request (the model's `encodeItem` with its defaults). */
export type Encode = (request: BatchRequest) => Either.Either<EncodedItem, UnsupportedError | InvalidInputError>

/** What {@link plan} learns of a request list. */
export interface Plan {
  /**
   * The sum over the requests of their item's JSON bytes and a comma (`encodedSize`), if
   * counted: a list of more requests than one batch holds is split request by request anyway.
   */
  readonly bytes: number | undefined
  /** The headers every request asked for with the same value: the only ones a create can send. */
  readonly headers: Record<string, string>
  /** Each warning once, with the custom ids it concerns (none: the whole batch). */
  readonly warned: Map<string, Array<string>>
  /** Up to five requests that cannot be sent, described. */
  readonly problems: ReadonlyArray<string>
  /** The encoding error of the first request that could not be encoded. */
  readonly firstError: UnsupportedError | InvalidInputError | undefined
}

/** Items per `JSON.stringify` (about 170 KB of JSON for a short prompt). */
const GROUP = 1024

/** A group's items as JSON text, without the array's brackets: `item,item,...`. */
const groupText = (items: ReadonlyArray<BatchItem>): string => {
  const json = JSON.stringify(items)
  return json.slice(1, json.length - 1)
}

/**
 * Encodes the whole list once: shared headers, warnings, problems and (with `countBytes`, one
 * `JSON.stringify` per group) its size; nothing kept.
 */
export const plan = (requests: ReadonlyArray<BatchRequest>, encode: Encode, countBytes: boolean): Plan => {
  let bytes = 0
  const problems: Array<string> = []
  let firstError: UnsupportedError | InvalidInputError | undefined
  // warnings and headers per request, for the few requests that have any
  const warningsOf = new Map<number, ReadonlyArray<string>>()
  const headerValues = new Map<string, { value: string; count: number; differs: boolean }>()
  let group: Array<BatchItem> = []
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i]!
    const encoded = encode(request)
    if (Either.isLeft(encoded)) {
      firstError ??= encoded.left
      if (problems.length < 5) problems.push(`request ${JSON.stringify(request.customId)}: ${encoded.left.message}`)
      continue
    }
    const { headers, item, warnings } = encoded.right
    if (item.params.messages.length === 0 && problems.length < 5) {
      problems.push(`request ${JSON.stringify(request.customId)}: it has no user or assistant message to send (Anthropic needs at least one)`)
    }
    if (warnings.length > 0) warningsOf.set(i, warnings)
    if (headers !== undefined) {
      for (const name in headers) {
        const value = headers[name]!
        const seen = headerValues.get(name)
        if (seen === undefined) headerValues.set(name, { value, count: 1, differs: false })
        else if (seen.value === value) seen.count++
        else seen.differs = true
      }
    }
    if (!countBytes) continue
    group.push(item)
    if (group.length === GROUP) {
      // the group's items with a comma each: its JSON minus the brackets, plus one comma
      bytes += Buffer.byteLength(groupText(group), "utf8") + 1
      group = []
    }
  }
  if (group.length > 0) bytes += Buffer.byteLength(groupText(group), "utf8") + 1
  const headers: Record<string, string> = {}
  const dropped: Array<string> = []
  for (const [name, seen] of headerValues) {
    if (!seen.differs && seen.count === requests.length) headers[name] = seen.value
    else dropped.push(name)
  }
  const warned = groupWarnings(requests.length, (i) => requests[i]!.customId, (i) => warningsOf.get(i) ?? noWarnings)
  if (dropped.length > 0) {
    warned.set(
      `the extraHeaders ${listed(dropped)} were not sent: a batch sends one set of headers for all its requests, and these differ between them.`,
      []
    )
  }
  return { bytes: countBytes ? bytes : undefined, headers, warned, problems, firstError }
}

const noWarnings: ReadonlyArray<string> = []

/** Bytes of one request's item in the body, and the comma after it. */
export const itemBytes = (request: BatchRequest, encode: Encode): number =>
  Either.match(encode(request), {
    // only reached for a request that skipped validate; the batch planner reports the throw
    onLeft: (error) => {
      throw new Error(error.message)
    },
    onRight: ({ item }) => Buffer.byteLength(JSON.stringify(item), "utf8") + 1
  })

/**
 * The body as UTF-8 chunks of one group each, encoded as the upload reads them. The list was
 * planned first, so every request encodes; one that does not (a codec that is not pure) ends
 * the upload with its error.
 */
export async function* bodyChunks(requests: ReadonlyArray<BatchRequest>, encode: Encode): AsyncGenerator<Uint8Array> {
  const utf8 = new TextEncoder()
  if (requests.length === 0) {
    yield utf8.encode(`{"requests":[]}`)
    return
  }
  for (let start = 0; start < requests.length; start += GROUP) {
    const end = Math.min(start + GROUP, requests.length)
    const items = new Array<BatchItem>(end - start)
    for (let i = start; i < end; i++) {
      const encoded = encode(requests[i]!)
      if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
      items[i - start] = encoded.right.item
    }
    const text = groupText(items)
    yield utf8.encode(`${start === 0 ? `{"requests":[` : ","}${text}${end === requests.length ? "]}" : ""}`)
  }
}
