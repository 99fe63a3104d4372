/**
 * A file-backed KeyValueStore for the facade's `resumeKey`: one file per key in a directory,
 * written atomically (write to a temporary file, then rename), so a crash mid-write leaves the
 * previous record intact.
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { SystemError } from "@effect/platform/Error"
import { Effect, Option } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"

const failure = (method: string, cause: unknown) =>
  new SystemError({ reason: "Unknown", module: "KeyValueStore", method, description: cause instanceof Error ? cause.message : String(cause) })

/**
 * A store keeping each key in `directory/<encoded key>.json`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (directory: string): KeyValueStore.KeyValueStore => {
  const file = (key: string) => path.join(directory, `${encodeURIComponent(key)}.json`)
  const attempt = <A>(method: string, run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (e) => failure(method, e) })
  const list = () => fs.readdir(directory).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? [] : Promise.reject(e)))
  return KeyValueStore.makeStringOnly({
    get: (key) =>
      attempt("get", () => fs.readFile(file(key), "utf8").then(Option.some, (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? Option.none() : Promise.reject(e)))),
    set: (key, value) =>
      attempt("set", async () => {
        await fs.mkdir(directory, { recursive: true })
        const temporary = `${file(key)}.${process.pid}.tmp`
        await fs.writeFile(temporary, value, "utf8")
        await fs.rename(temporary, file(key))
      }),
    remove: (key) => attempt("remove", () => fs.rm(file(key), { force: true })),
    clear: attempt("clear", async () => {
      for (const name of await list()) if (name.endsWith(".json")) await fs.rm(path.join(directory, name), { force: true })
    }),
    size: attempt("size", async () => (await list()).filter((n) => n.endsWith(".json")).length)
  })
}
