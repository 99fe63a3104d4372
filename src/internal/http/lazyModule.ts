/**
 * A module imported on first use instead of when effect-llm-direct is imported. The provider
 * SDKs load this way, when a client is built: a program that talks to one provider loads only
 * that provider's SDK (each is about 5 MB of heap and 150–250 ms of start-up). The SDKs' small
 * error and upload modules are imported statically where they are needed; they load without the
 * rest of the SDK and are the very modules the SDK uses, so `instanceof` holds.
 * @internal
 * @since 0.1.0
 */
import { Effect } from "effect"

/**
 * An Effect that imports the module of `importer` (a function around a literal `import("…")`)
 * on its first run, once however many fibers ask at once. A failed import is a defect: the
 * module is a dependency.
 *
 * @since 0.1.0
 * @category utils
 */
export const lazyModule = <M>(importer: () => Promise<M>): Effect.Effect<M> => {
  let module: M | undefined
  let pending: Promise<M> | undefined
  return Effect.suspend(() =>
    module !== undefined
      ? Effect.succeed(module)
      : Effect.promise(() => (pending ??= importer().then((m) => (module = m))))
  )
}
