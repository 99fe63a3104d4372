/** Pieces the OpenAI-family suite cases share (Chat Completions, Responses, Azure). */
import type { Layer } from "effect"
import type * as BatchModel from "../../src/BatchModel.js"
import type { Emulator } from "../../src/testing/Emulator.js"
import { openAiBatchEmulator } from "../../src/testing/emulator/openai.js"
import type { BatchCase } from "./providerSuite.js"

/** The OpenAI Batch API on the emulator, with the `BatchModel` a case builds over it. */
export const openAiBatchCase = (layer: (emulator: Emulator) => Layer.Layer<BatchModel.BatchModel>): BatchCase => ({
  layer,
  setLifecycle: (emulator, lifecycle) => {
    openAiBatchEmulator(emulator).lifecycle = lifecycle
  },
  batches: (emulator) => openAiBatchEmulator(emulator).batches(),
  reset: (emulator) => openAiBatchEmulator(emulator).reset()
})
