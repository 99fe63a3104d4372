// A resolve hook that appends every resolved URL to the file named by RESOLVED_LOG (one a
// line): a test reads which modules a child process loaded.
import { register } from "node:module"

const hook = `import { appendFileSync } from "node:fs"
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  if (process.env.RESOLVED_LOG) appendFileSync(process.env.RESOLVED_LOG, resolved.url + "\\n")
  return resolved
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
