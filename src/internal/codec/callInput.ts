/**
 * The checks every request makes of its input before anything is sent, shared by the direct
 * models (`LanguageModel.make`) and the batched model: at least one message, and parameters that
 * normalise.
 *
 * @since 0.2.0
 * @internal
 */
import { Either } from "effect"
import { InvalidInputError } from "../../AiError.js"
import type { ModelMessage } from "../../Message.js"
import { ModelRequestParameters, type ModelRequestParametersInput } from "../../Parameters.js"

/**
 * The error of an empty message list.
 *
 * @since 0.2.0
 * @category errors
 */
export const emptyMessages = (provider: string): InvalidInputError =>
  new InvalidInputError({ provider, reason: "the message list is empty; pass at least one ModelRequest, for example ModelRequest.userTextPrompt(\"...\")." })

/**
 * A call's messages checked and its parameters normalised.
 *
 * @since 0.2.0
 * @category utils
 */
export const checkCall = (
  provider: string,
  messages: ReadonlyArray<ModelMessage>,
  parameters: ModelRequestParametersInput | undefined
): Either.Either<ModelRequestParameters, InvalidInputError> => {
  if (messages.length === 0) return Either.left(emptyMessages(provider))
  try {
    return Either.right(ModelRequestParameters.from(parameters))
  } catch (e) {
    return Either.left(new InvalidInputError({ provider, reason: `bad request parameters: ${e instanceof Error ? e.message : String(e)}` }))
  }
}
