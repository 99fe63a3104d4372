// A resolve hook that makes the two provider SDKs' main modules look uninstalled (their small
// error and upload modules stay): importing `openai` or `@anthropic-ai/sdk` itself throws.
import { register } from "node:module"

const hook = `export async function resolve(specifier, context, next) {
  if (/^(openai|@anthropic-ai\\/sdk)$/.test(specifier)) {
    throw Object.assign(new Error("Cannot find package '" + specifier + "' (hidden by the test)"), { code: "ERR_MODULE_NOT_FOUND" })
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
