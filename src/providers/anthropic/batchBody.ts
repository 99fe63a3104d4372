/**
 * The body of an Anthropic batch create, `{"requests":[item,...]}`, from a request list, and
 * what a create must know of the list before it sends anything ({@link plan}): the headers
 * every request shares, the warnings, the first request that cannot be encoded.
 *
 * Items are encoded and serialized a group at a time, one `JSON.stringify` per group (twice as
 * fast as one per item). A plan that sizes the list (one that may fit one batch: the split asks
 * its size) keeps the groups as UTF-8 for the create, up to {@link KEPT_BODY_BYTES}, so a list
 * is encoded and serialized once from validate to upload. A larger body is encoded again as
 * the upload reads it ({@link bodyChunks}), one group in memory.
 * @internal
 * @since 0.1.0
 */
import type { InvalidInputError, UnsupportedError } from "../../AiError.js"
import type { BatchRequest } from "../../BatchData.js"
import { groupWarnings, listed } from "../../internal/batch/warnings.js"
import { type BatchItem, type EncodedItem, itemSize } from "./batchCodec.js"
import { Either } from "effect"

/**
 * Encodes one request (the model's `encodeItem` with its defaults).
 *
 * @since 0.1.0
 * @category models
 */
export type Encode = (request: BatchRequest) => Either.Either<EncodedItem, UnsupportedError | InvalidInputError>

/**
 * What {@link plan} learns of a request list.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plan {
  /**
   * The sum over the requests of their item's JSON bytes and a comma (`encodedSize`), if sized
   * and every request encodes.
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

/**
 * A plan, and the body's groups if it kept them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Planned extends Plan {
  /**
   * The items' UTF-8 for {@link bodyChunks}, a group per element, each after the first led by
   * its comma; kept only by a sizing plan whose body is within the budget.
   */
  readonly groups: Array<Uint8Array | undefined> | undefined
}

/**
 * Items per `JSON.stringify`: about 45 KB of JSON for a short prompt, below the 128 KB from
 * which V8 puts a string in its large-object space, where a dropped group's text would stay
 * until the next full collection instead of the next scavenge.
 */
const GROUP = 256

/**
 * The most body bytes a {@link plan} keeps for the create. A larger body is encoded again as
 * it is sent rather than held whole (a batch may take 256 MB).
 *
 * @since 0.1.0
 * @category constants
 */
export const KEPT_BODY_BYTES = 64 * 1024 * 1024

const comma = 0x2c

/** A group's items as JSON text, without the array's brackets: `item,item,...`. */
const groupText = (items: ReadonlyArray<BatchItem>): string => {
  const json = JSON.stringify(items)
  return json.slice(1, json.length - 1)
}

/**
 * A group's text as it goes in the body: UTF-8, led by its comma unless it is the first group
 * (the comma written into the buffer, not joined to the text: no second copy of it).
 */
const groupBytes = (text: string, first: boolean): Buffer => {
  const lead = first ? 0 : 1
  const utf8 = Buffer.allocUnsafe(Buffer.byteLength(text, "utf8") + lead)
  if (!first) utf8[0] = comma
  utf8.write(text, lead, "utf8")
  return utf8
}

/** The items of `requests[start, end)`; a request that does not encode throws its error's message. */
const groupItems = (requests: ReadonlyArray<BatchRequest>, encode: Encode, start: number, end: number): Array<BatchItem> => {
  const items = new Array<BatchItem>(end - start)
  for (let i = start; i < end; i++) {
    const encoded = encode(requests[i]!)
    if (Either.isLeft(encoded)) throw new Error(encoded.left.message)
    items[i - start] = encoded.right.item
  }
  return items
}

/**
 * Encodes the whole list once: shared headers, warnings, problems and, with `size`, its bytes
 * (one `JSON.stringify` per group), keeping the groups while their total stays within `keep`.
 *
 * @since 0.1.0
 * @category utils
 */
export const plan = (requests: ReadonlyArray<BatchRequest>, encode: Encode, size: boolean, keep: number = KEPT_BODY_BYTES): Planned => {
  const problems: Array<string> = []
  let firstError: UnsupportedError | InvalidInputError | undefined
  // warnings and headers per request, for the few requests that have any
  const warningsOf = new Map<number, ReadonlyArray<string>>()
  const headerValues = new Map<string, { value: string; count: number; differs: boolean }>()
  let bytes = 0
  let groups: Array<Uint8Array | undefined> | undefined = []
  let group: Array<BatchItem> = []
  const flush = () => {
    const text = groupText(group)
    group = []
    if (groups === undefined) {
      bytes += Buffer.byteLength(text, "utf8") + 1
      return
    }
    const first = groups.length === 0
    const utf8 = groupBytes(text, first)
    // the group's items with a comma each (the leading comma of a later group counts as the
    // trailing one of the group before)
    bytes += first ? utf8.length + 1 : utf8.length
    if (bytes > keep) groups = undefined
    else groups.push(utf8)
  }
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
    // a list with a request that cannot be sent has no body to size
    if (!size || firstError !== undefined) continue
    group.push(item)
    if (group.length === GROUP) flush()
  }
  const sized = size && firstError === undefined
  if (sized && group.length > 0) flush()
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
  return { bytes: sized ? bytes : undefined, headers, warned, problems, firstError, groups: sized ? groups : undefined }
}

const noWarnings: ReadonlyArray<string> = []

/**
 * Bytes of one request's item in the body, and the comma after it.
 *
 * @since 0.1.0
 * @category constants
 */
export const itemBytes = (request: BatchRequest, encode: Encode): number =>
  Either.match(encode(request), {
    // only reached for a request that skipped validate; the batch planner reports the throw
    onLeft: (error) => {
      throw new Error(error.message)
    },
    onRight: ({ item }) => itemSize(item)
  })

/**
 * The body as UTF-8 chunks of one group each: the `groups` a {@link plan} of this very list
 * kept (each dropped once sent), or else encoded as the upload reads them. The list was planned
 * first, so every request encodes; one that does not (a codec that is not pure) ends the upload
 * with its error.
 *
 * @since 0.1.0
 * @category utils
 */
export async function* bodyChunks(
  requests: ReadonlyArray<BatchRequest>,
  encode: Encode,
  groups?: Array<Uint8Array | undefined> | undefined
): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`{"requests":[`)
  if (groups !== undefined) {
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g]!
      groups[g] = undefined
      yield group
    }
  } else {
    for (let start = 0; start < requests.length; start += GROUP) {
      yield groupBytes(groupText(groupItems(requests, encode, start, Math.min(start + GROUP, requests.length))), start === 0)
    }
  }
  yield Buffer.from("]}")
}
