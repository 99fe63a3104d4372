/**
 * Test support: `TestModel` and `FunctionModel` (Layers with no network), and the emulator, a
 * loopback server speaking the OpenAI and Anthropic wire protocols for tests of the real SDKs.
 *
 * @since 0.1.0
 */

/**
 * The emulator: `startEmulator()`, its scoped `Emulator.layer()`, and its types.
 *
 * @since 0.1.0
 * @category testing
 */
export * as Emulator from "./Emulator.js"
export { type Emulator as EmulatorInstance, type EmulatorOptions, type Fault, type RecordedRequest, type RouteKey, type Script, type Scripted, startEmulator } from "./Emulator.js"
/**
 * A model whose answers your function decides.
 *
 * @since 0.1.0
 * @category testing
 */
export * as FunctionModel from "./FunctionModel.js"
/**
 * A deterministic model with no network.
 *
 * @since 0.1.0
 * @category testing
 */
export * as TestModel from "./TestModel.js"
