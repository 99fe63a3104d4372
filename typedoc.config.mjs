// The API reference: `npm run docs` writes it to docs/api/ (not committed) from the package's
// entry points (scripts/package-entries.mjs), grouped by each declaration's @category.
import { sourceFiles } from "./scripts/package-entries.mjs"

/** @type {Partial<import("typedoc").TypeDocOptions>} */
export default {
  name: "effect-llm-direct",
  entryPoints: sourceFiles,
  tsconfig: "tsconfig.build.json",
  out: "docs/api",
  readme: "none",
  excludeInternal: true,
  excludePrivate: true,
  categorizeByGroup: false,
  defaultCategory: "utils",
  sort: ["kind", "instance-first", "alphabetical-ignoring-documents"],
  githubPages: false,
  hideGenerator: true,
  includeVersion: true,
  treatWarningsAsErrors: false,
  logLevel: "Warn"
}
