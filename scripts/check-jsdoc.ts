/**
 * Checks that every exported declaration carries a JSDoc with `@since <semver>` and
 * `@category <name>`, and that every module opens with a header JSDoc with `@since`: the tags the
 * API reference is generated from.
 *
 * Usage: npx tsx scripts/check-jsdoc.ts [--summary] [files or dirs...]   (default: src/)
 *
 * What counts as a declaration of a module: `export const/let/function/class/interface/type/enum/
 * namespace`, `export { x }` of a binding the module declares itself (the JSDoc may sit on the
 * specifier, on a one-name export statement, or on the local declaration), and `export * as Ns
 * from`. Plain re-exports (`export { a } from`, `export *`, `export { x }` of an imported name) are
 * documented where they are declared. Of overloads, the first signature's JSDoc counts; class and
 * namespace members are not checked.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

interface Problem {
  readonly file: string
  readonly line: number
  readonly name: string
  readonly missing: ReadonlyArray<string>
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/

const collectFiles = (target: string, out: Array<string>): void => {
  const stat = fs.statSync(target)
  if (stat.isDirectory()) {
    for (const entry of fs.readdirSync(target).sort()) {
      if (entry === "node_modules" || entry.startsWith(".")) continue
      collectFiles(path.join(target, entry), out)
    }
  } else if (/\.(ts|tsx|mts|cts)$/.test(target) && !target.endsWith(".d.ts")) {
    out.push(target)
  }
}

/** The JSDoc blocks (`/** ... *\/`) written right before the node, in source order. */
const jsDocsBefore = (text: string, node: ts.Node): ReadonlyArray<string> =>
  (ts.getLeadingCommentRanges(text, node.pos) ?? [])
    .filter((range) => range.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", range.pos))
    .map((range) => text.slice(range.pos, range.end))

/** The value of a tag (first line only), or undefined when the tag is absent. */
const tagValue = (doc: string, tag: string): string | undefined => {
  const match = new RegExp(`@${tag}(?![A-Za-z])[ \\t]*([^\\n]*)`).exec(doc)
  return match === null ? undefined : match[1]!.replace(/\*\/\s*$/, "").trim()
}

/** Which of the required tags a JSDoc lacks (all of them when there is none). */
const missingTags = (doc: string | undefined, needCategory = true): ReadonlyArray<string> => {
  const missing: Array<string> = []
  const since = doc === undefined ? undefined : tagValue(doc, "since")
  if (since === undefined || !SEMVER.test(since)) missing.push("@since")
  if (needCategory) {
    const category = doc === undefined ? undefined : tagValue(doc, "category")
    if (category === undefined || category === "") missing.push("@category")
  }
  return missing
}

const hasExport = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

/** The names a statement declares (a variable statement may declare several). */
const declaredNames = (statement: ts.Statement): ReadonlyArray<string> => {
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : [d.name.getText()]))
  }
  if (
    ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)
  ) {
    return statement.name === undefined ? ["default"] : [statement.name.text]
  }
  return []
}

let declarations = 0

const checkFile = (file: string): Array<Problem> => {
  const text = fs.readFileSync(file, "utf8")
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const problems: Array<Problem> = []
  const report = (node: ts.Node, name: string, missing: ReadonlyArray<string>): void => {
    declarations++
    if (missing.length === 0) return
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
    problems.push({ file, line, name, missing })
  }
  const lastDoc = (node: ts.Node): string | undefined => jsDocsBefore(text, node).at(-1)

  // local declarations (exported or not) and imported names, for `export { x }`
  const locals = new Map<string, ts.Statement>()
  const imported = new Set<string>()
  for (const statement of source.statements) {
    for (const name of declaredNames(statement)) if (!locals.has(name)) locals.set(name, statement)
    if (ts.isImportDeclaration(statement) && statement.importClause !== undefined) {
      const clause = statement.importClause
      if (clause.name !== undefined) imported.add(clause.name.text)
      const bindings = clause.namedBindings
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text)
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const el of bindings.elements) imported.add(el.name.text)
    }
    if (ts.isImportEqualsDeclaration(statement)) imported.add(statement.name.text)
  }

  // the module header: the first JSDoc of the file, unless it is the only one and belongs to a
  // first statement that is itself a documented export
  const first = source.statements[0]
  if (first !== undefined) {
    const docs = jsDocsBefore(text, first)
    const firstIsExport = hasExport(first) || ts.isExportDeclaration(first) || ts.isExportAssignment(first)
    const header = docs.length > (firstIsExport ? 1 : 0) ? docs[0] : undefined
    const missing = missingTags(header, false)
    if (missing.length > 0) problems.push({ file, line: 1, name: "(module header)", missing })
  }

  const seenFunctions = new Set<string>()
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause
      if (clause !== undefined && ts.isNamespaceExport(clause)) {
        report(statement, clause.name.text, missingTags(lastDoc(statement)))
      } else if (clause !== undefined && ts.isNamedExports(clause) && statement.moduleSpecifier === undefined) {
        for (const spec of clause.elements) {
          const localName = (spec.propertyName ?? spec.name).getText(source)
          if (imported.has(localName)) continue
          const local = locals.get(localName)
          const candidates = [
            lastDoc(spec),
            clause.elements.length === 1 ? lastDoc(statement) : undefined,
            local === undefined ? undefined : lastDoc(local)
          ]
          const best = candidates.map((doc) => missingTags(doc)).sort((a, b) => a.length - b.length)[0]!
          report(spec, spec.name.getText(source), best)
        }
      }
      continue
    }
    if (ts.isExportAssignment(statement)) {
      report(statement, "default", missingTags(lastDoc(statement)))
      continue
    }
    if (!hasExport(statement)) continue
    if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      // overloads: only the first signature carries the documentation
      if (seenFunctions.has(statement.name.text)) continue
      seenFunctions.add(statement.name.text)
    }
    const names = declaredNames(statement)
    if (names.length === 0) continue
    report(statement, names.join(", "), missingTags(lastDoc(statement)))
  }
  return problems
}

const main = (): void => {
  const args = process.argv.slice(2)
  const summaryOnly = args.includes("--summary")
  const targets = args.filter((a) => a !== "--summary")
  const files: Array<string> = []
  for (const target of targets.length > 0 ? targets : ["src"]) {
    if (!fs.existsSync(target)) {
      console.error(`check-jsdoc: no such file or directory: ${target}`)
      process.exit(2)
    }
    collectFiles(target, files)
  }
  const problems = files.flatMap(checkFile)
  if (summaryOnly) {
    const counts = new Map<string, number>()
    for (const p of problems) counts.set(p.file, (counts.get(p.file) ?? 0) + 1)
    for (const [file, count] of counts) console.log(`${String(count).padStart(5)}  ${file}`)
  } else {
    for (const p of problems) console.log(`${p.file}:${p.line} ${p.name}: missing ${p.missing.join("/")}`)
  }
  const filesWith = new Set(problems.map((p) => p.file)).size
  console.log(
    problems.length === 0
      ? `check-jsdoc: ${files.length} files, ${declarations} exported declarations, no problems`
      : `check-jsdoc: ${problems.length} problems in ${filesWith} of ${files.length} files (${declarations} exported declarations)`
  )
  process.exit(problems.length === 0 ? 0 : 1)
}

main()
