/**
 * A tolerant parser for JSON cut off anywhere, as a streamed structured output is until its last
 * delta: `{"city":"Par` reads as `{ city: "Par" }`. What is already certain is kept (complete
 * values, strings so far); what could still change meaning is left out (a key without its value,
 * `tr` of `true`, a lone `-`). Text after a complete top-level value is ignored (a closing
 * Markdown fence, say). A syntax error means the text is not JSON: the result is `undefined`.
 *
 * @since 0.1.0
 */

/**
 * The value so far, or `undefined` when nothing has started or the text is not JSON.
 *
 * @since 0.1.0
 * @category codecs
 */
export const parsePartialJson = (text: string): unknown => {
  try {
    const parser = new Parser(text)
    const result = parser.value()
    return result === NONE ? undefined : result.value
  } catch {
    return undefined
  }
}

/** Nothing usable yet (the input ended before the value said what it is). */
const NONE = Symbol("none")

interface Parsed {
  readonly value: unknown
  /** false when the input ended inside this value */
  readonly complete: boolean
}

class SyntaxFailure extends Error {}

const LITERALS: ReadonlyArray<readonly [string, unknown]> = [["true", true], ["false", false], ["null", null]]

class Parser {
  private i = 0
  constructor(private readonly text: string) {}

  private get eof(): boolean {
    return this.i >= this.text.length
  }

  private skipWhitespace(): void {
    while (!this.eof && /\s/.test(this.text[this.i]!)) this.i++
  }

  value(): Parsed | typeof NONE {
    this.skipWhitespace()
    if (this.eof) return NONE
    const c = this.text[this.i]!
    if (c === "{") return this.object()
    if (c === "[") return this.array()
    if (c === "\"") return this.string()
    if (c === "-" || (c >= "0" && c <= "9")) return this.number()
    for (const [word, value] of LITERALS) {
      const rest = this.text.slice(this.i, this.i + word.length)
      if (rest === word) {
        this.i += word.length
        return { value, complete: true }
      }
      // a prefix of the word at the very end: it may become the word, or not (yet) say anything
      if (this.i + rest.length === this.text.length && word.startsWith(rest)) {
        this.i = this.text.length
        return NONE
      }
    }
    throw new SyntaxFailure(`unexpected ${c}`)
  }

  private object(): Parsed {
    this.i++
    const out: Record<string, unknown> = {}
    for (;;) {
      this.skipWhitespace()
      if (this.eof) return { value: out, complete: false }
      const c = this.text[this.i]!
      if (c === "}") {
        this.i++
        return { value: out, complete: true }
      }
      if (c === ",") {
        this.i++
        continue
      }
      if (c !== "\"") throw new SyntaxFailure("expected a key")
      const key = this.string()
      // a key cut short, or one without its value yet, says nothing about the object
      if (!key.complete) return { value: out, complete: false }
      this.skipWhitespace()
      if (this.eof) return { value: out, complete: false }
      if (this.text[this.i] !== ":") throw new SyntaxFailure("expected :")
      this.i++
      const item = this.value()
      if (item === NONE) return { value: out, complete: false }
      out[key.value as string] = item.value
      if (!item.complete) return { value: out, complete: false }
    }
  }

  private array(): Parsed {
    this.i++
    const out: Array<unknown> = []
    for (;;) {
      this.skipWhitespace()
      if (this.eof) return { value: out, complete: false }
      const c = this.text[this.i]!
      if (c === "]") {
        this.i++
        return { value: out, complete: true }
      }
      if (c === ",") {
        this.i++
        continue
      }
      const item = this.value()
      if (item === NONE) return { value: out, complete: false }
      out.push(item.value)
      if (!item.complete) return { value: out, complete: false }
    }
  }

  private string(): Parsed {
    this.i++
    let out = ""
    while (!this.eof) {
      const c = this.text[this.i]!
      if (c === "\"") {
        this.i++
        return { value: out, complete: true }
      }
      if (c !== "\\") {
        out += c
        this.i++
        continue
      }
      // an escape: a cut-off one is left out until its remaining characters arrive
      const next = this.text[this.i + 1]
      if (next === undefined) break
      if (next === "u") {
        const hex = this.text.slice(this.i + 2, this.i + 6)
        if (hex.length < 4) break
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxFailure("bad \\u escape")
        out += String.fromCharCode(Number.parseInt(hex, 16))
        this.i += 6
        continue
      }
      const simple: Record<string, string> = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }
      const decoded = simple[next]
      if (decoded === undefined) throw new SyntaxFailure("bad escape")
      out += decoded
      this.i += 2
    }
    this.i = this.text.length
    return { value: out, complete: false }
  }

  private number(): Parsed | typeof NONE {
    const match = /^-?\d*(?:\.\d*)?(?:[eE][+-]?\d*)?/.exec(this.text.slice(this.i))
    const raw = match?.[0] ?? ""
    this.i += raw.length
    if (this.eof) {
      // more digits may follow: keep the number so far, minus a dangling ".", "e" or sign
      const usable = raw.replace(/[.eE+-]+$/, "")
      if (usable === "" || usable === "-") return NONE
      return { value: Number(usable), complete: false }
    }
    const n = Number(raw)
    if (raw === "" || raw === "-" || !Number.isFinite(n)) throw new SyntaxFailure("bad number")
    return { value: n, complete: true }
  }
}
