/**
 * The mutation summary (`bench/MutationScore.ts`): per-file results from Stryker's report, and a
 * run limited with `--mutate` merged into the earlier summary without losing the other files.
 */
import { assert, describe, it } from "@effect/vitest"
import { fileResults, inScope, merge, type Report, type ReportMutant, scoreOf } from "../../bench/MutationScore.ts"

const mutant = (status: string, line: number, mutatorName = "BooleanLiteral", replacement = "true"): ReportMutant => ({
  mutatorName,
  replacement,
  status,
  location: { start: { line } }
})

const report = (files: Record<string, ReadonlyArray<ReportMutant>>, mutate?: ReadonlyArray<string>): Report => ({
  files: Object.fromEntries(Object.entries(files).map(([file, mutants]) => [file, { mutants }])),
  ...(mutate === undefined ? {} : { config: { mutate } })
})

describe("MutationScore", () => {
  it("counts a file's statuses and lists its survivors and uncovered mutants by line", () => {
    const results = fileResults(
      report({ "src/a.ts": [mutant("Killed", 1), mutant("Survived", 9, "StringLiteral", "\"\""), mutant("NoCoverage", 3), mutant("Ignored", 4)] }),
      "t1"
    )
    assert.deepStrictEqual(results["src/a.ts"], {
      count: { Killed: 1, Survived: 1, NoCoverage: 1, Ignored: 1 },
      survivors: [
        { file: "src/a.ts", line: 3, mutator: "BooleanLiteral", replacement: "true", status: "NoCoverage" },
        { file: "src/a.ts", line: 9, mutator: "StringLiteral", replacement: "\"\"", status: "Survived" }
      ],
      measuredAt: "t1"
    })
  })

  it("scores killed and timed-out over valid mutants (ignored ones and errors do not count)", () => {
    assert.strictEqual(scoreOf({ Killed: 5, Timeout: 1, Survived: 1, NoCoverage: 1, Ignored: 7, CompileError: 3 }), 75)
    assert.strictEqual(scoreOf({ Killed: 2, Survived: 1 }), 66.67)
    assert.strictEqual(scoreOf({ Ignored: 2 }), 0)
  })

  it("a later run replaces the files it measured and keeps the others; the score covers them all", () => {
    const first = merge(undefined, fileResults(report({ "src/a.ts": [mutant("Killed", 1), mutant("Survived", 2)], "src/b.ts": [mutant("Survived", 1)] }), "t1"), "src/")
    assert.strictEqual(first.score, 33.33)
    const second = merge(first, fileResults(report({ "src/b.ts": [mutant("Killed", 1)], "src/c.ts": [mutant("Timeout", 5)] }), "t2"), "src/")
    assert.deepStrictEqual(second.files, ["src/a.ts", "src/b.ts", "src/c.ts"])
    assert.deepStrictEqual(second.count, { Killed: 2, Survived: 1, Timeout: 1 })
    assert.strictEqual(second.score, 75)
    assert.deepStrictEqual(second.survivors.map((s) => [s.file, s.line]), [["src/a.ts", 2]])
    assert.deepStrictEqual(Object.values(second.byFile).map((f) => f.measuredAt), ["t1", "t2", "t2"])
  })

  it("a summary from before per-file results contributes nothing to the merge", () => {
    const old = { scope: "src/", files: ["src/a.ts"], score: 50, count: { Killed: 1, Survived: 1 }, survivors: [] }
    const merged = merge(old, fileResults(report({ "src/b.ts": [mutant("Killed", 1)] }), "t"), "src/")
    assert.deepStrictEqual(merged.files, ["src/b.ts"])
    assert.strictEqual(merged.score, 100)
  })

  it("takes only the files the run mutated: the others in an incremental report are an earlier run's", () => {
    const files = { "src/a.ts": [mutant("Killed", 1)], "src/b.ts": [mutant("Survived", 1)] }
    assert.deepStrictEqual(Object.keys(fileResults(report(files, ["src/a.ts"]), "t")), ["src/a.ts"])
    assert.deepStrictEqual(Object.keys(fileResults(report(files, ["src/**/*.ts"]), "t")), ["src/a.ts", "src/b.ts"])
    assert.deepStrictEqual(Object.keys(fileResults(report(files), "t")), ["src/a.ts", "src/b.ts"])
    const earlier = merge(undefined, fileResults(report({ "src/b.ts": [mutant("Killed", 1)] }), "t0"), "src/")
    const later = merge(earlier, fileResults(report(files, ["src/a.ts"]), "t1"), "src/")
    assert.deepStrictEqual(later.count, { Killed: 2 })
  })

  it("a mutate pattern matches by glob, with its line range cut off; `!` patterns exclude", () => {
    assert.isTrue(inScope("src/engine/Control.ts", ["src/engine/**/*.ts"]))
    assert.isTrue(inScope("src/engine/Control.ts", ["src/engine/Control.ts:10-20"]))
    assert.isTrue(inScope("src/engine/Control.ts", ["src/engine/Control.ts:10:1-20:5"]))
    assert.isFalse(inScope("src/engine/World.ts", ["src/engine/Control.ts"]))
    assert.isFalse(inScope("src/engine/World.ts", ["src/engine/**/*.ts", "!src/engine/World.ts"]))
  })
})
