// Unused files, exports and dependencies: `npm run lint:unused` (knip). The package's entry
// points (scripts/package-entries.mjs) are the public surface; tests, examples and scripts use
// the rest. Unused files and dependencies fail the check; unused exports and types are reported
// as warnings for now (set their rules to "error" once the list is empty).
import { sourceFiles } from "./scripts/package-entries.mjs"

/** @type {import("knip").KnipConfig} */
export default {
  entry: [
    ...sourceFiles,
    "test/**/*.test.ts",
    // started as child processes
    "test/helpers/*.mjs",
    "test/helpers/workflow-runner.ts",
    "test/helpers/batched-pending-process.ts",
    "examples/*.ts",
    "scripts/*.{mjs,ts}",
    "*.config.{js,mjs,ts}"
  ],
  project: ["src/**/*.ts", "test/**/*.{ts,mjs}", "examples/**/*.ts", "scripts/**/*.{mjs,ts}"],
  ignoreDependencies: [
    // imported by a variable specifier in src/Cost.ts (an optional peer)
    "@pydantic/genai-prices",
    // the `steady` binary, started by test/helpers/openaiSteady.ts
    "@stdy/cli",
    // run by scripts/check-package.mjs
    "@arethetypeswrong/cli",
    "publint"
  ],
  rules: {
    exports: "warn",
    types: "warn",
    nsExports: "warn",
    nsTypes: "warn",
    enumMembers: "warn",
    duplicates: "warn"
  }
}
