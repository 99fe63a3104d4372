// A resolve hook that makes the optional peer packages look uninstalled: importing one throws.
import { register } from "node:module"

const hook = `export async function resolve(specifier, context, next) {
  if (/^(@effect\\/(workflow|cluster|sql|sql-pg|sql-sqlite-node|rpc|experimental)|@google\\/genai|@pydantic\\/genai-prices)(\\/|$)/.test(specifier)) {
    throw Object.assign(new Error("Cannot find package '" + specifier + "' (hidden by the test)"), { code: "ERR_MODULE_NOT_FOUND" })
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
