// The import rules of the house, checked by `npm run lint:deps` (dependency-cruiser).
// Type-only imports count as imports (tsPreCompilationDeps): a circle through types is a circle.

/** program modules: they compose the library's parts; parts must not import them back */
const programModules = [
  "^src/Batch[.]ts$",
  "^src/BatchRun[.]ts$",
  "^src/BatchCache[.]ts$",
  "^src/BatchedLanguageModel[.]ts$",
  "^src/batched/",
  "^src/ModelString[.]ts$",
  "^src/direct[.]ts$",
  "^src/direct/",
  "^src/workflow/"
]

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules in src/ must not import each other in a circle (type imports included).",
      from: { path: "^src/" },
      to: { circular: true }
    },
    {
      name: "parts-import-no-program",
      severity: "error",
      comment:
        "Providers and internal modules may import data modules and the service contracts " +
        "(LanguageModel, BatchModel), never a program module (Batch, workflow, direct, ModelString, BatchedLanguageModel).",
      from: { path: "^src/(providers|internal)/" },
      to: { path: programModules }
    },
    {
      name: "internal-stays-internal",
      severity: "error",
      comment: "Only src/ (and test/, for unit tests of internal functions) may import src/internal/.",
      from: { path: "^(examples|bench|scripts)/" },
      to: { path: "^src/internal/" }
    },
    {
      name: "no-unresolvable-in-src",
      severity: "error",
      comment: "An import in src/ that cannot be resolved (a typo, or a package that is not a dependency).",
      from: { path: "^src/" },
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|docs|coverage)/|[.]d[.]ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["types", "import", "require", "node", "default"],
      extensions: [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".d.ts"],
      mainFields: ["types", "module", "main"]
    },
    reporterOptions: { text: { highlightFocused: true } }
  }
}
