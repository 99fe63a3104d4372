/**
 * Cancellation of SDK calls without handing the SDK an AbortSignal.
 *
 * Given a caller's signal, both SDKs tie it to their own per-request controller: `openai` through
 * `AbortSignal.any` (weak references, a FinalizationRegistry), `@anthropic-ai/sdk` through a
 * listener and a FinalizationRegistry entry. On Node 20 that costs about 25 µs per call, 4% of a
 * loopback request. Instead, the call's AbortController rides in the SDK's per-request
 * `fetchOptions` under a symbol ({@link abortOptions}), which both SDKs copy into the init they
 * give `fetch`; the clients are built with {@link abortableFetch}, which sends the request with
 * that controller's signal and ties the SDK's own signal (its timeout, a stream it stops) to it
 * with one listener. A call without a controller goes to `fetch` unchanged.
 *
 * The interruption tests of both providers check, on the emulator, that the server sees the
 * connection close: a future SDK that stopped passing the options through would fail them.
 * @internal
 * @since 0.1.0
 */
import { Effect, Exit } from "effect"

const key: unique symbol = Symbol.for("effect-llm-direct/internal/http/abortableFetch")

type Carrier = RequestInit & { readonly [key]?: AbortController }

/**
 * The per-request SDK options that tie the HTTP request to `controller`. Typed as an empty init:
 * the SDKs' `fetchOptions` type forbids `signal`, and the symbol is not theirs to know.
 *
 * @since 0.1.0
 * @category utils
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export const abortOptions = (controller: AbortController): { readonly fetchOptions: {} } => ({
  fetchOptions: { [key]: controller }
})

/**
 * The clients' `fetch`: a request that carries a controller is sent with its signal.
 *
 * @since 0.1.0
 * @category utils
 */
export const abortableFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const controller = (init as Carrier | undefined)?.[key]
  if (init === undefined || controller === undefined) return globalThis.fetch(input, init)
  const own = init.signal
  if (own !== null && own !== undefined) {
    if (own.aborted) controller.abort(own.reason)
    else own.addEventListener("abort", () => controller.abort(own.reason), { once: true })
  }
  return globalThis.fetch(input, { ...init, signal: controller.signal })
}

/**
 * A promise-returning SDK call as an Effect: `run` gets the controller to pass as
 * {@link abortOptions}; interrupting the effect aborts it. The controller is a fresh one unless
 * given (a streamed response's own, which its scope also aborts).
 *
 * @since 0.1.0
 * @category utils
 */
export const abortable = <A, E>(
  run: (controller: AbortController) => PromiseLike<A>,
  onError: (error: unknown) => E,
  controller?: AbortController
): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    const ac = controller ?? new AbortController()
    try {
      run(ac).then((a) => resume(Exit.succeed(a)), (error: unknown) => resume(Exit.fail(onError(error))))
    } catch (error) {
      resume(Exit.fail(onError(error)))
    }
    return Effect.sync(() => ac.abort())
  })
