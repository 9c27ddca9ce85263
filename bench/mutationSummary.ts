/**
 * The last step of `npm run mutation`: merges Stryker's report (`reports/mutation/mutation.json`)
 * into `bench/results/mutation.json` (kept in git): per file the counts and every surviving mutant
 * (file, line, mutator, replacement) for docs/testing.md to account for, and the score over every
 * file measured so far. A run limited with `--mutate` replaces only the files it mutated
 * (`MutationScore.merge`); delete the summary to start over.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { fileResults, merge, type Report, type Summary } from "./MutationScore.ts"

const reportPath = "reports/mutation/mutation.json"
const summaryPath = "bench/results/mutation.json"
const report = JSON.parse(readFileSync(reportPath, "utf8")) as Report
const previous = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, "utf8")) as Partial<Summary>) : undefined
const latest = fileResults(report, statSync(reportPath).mtime.toISOString())
const summary = merge(previous, latest, "src/engine/")
mkdirSync("bench/results", { recursive: true })
writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`)
const detected = (summary.count["Killed"] ?? 0) + (summary.count["Timeout"] ?? 0)
process.stdout.write(
  `mutation score of ${summary.files.join(", ")}: ${summary.score} % (${detected} detected; ${summary.survivors.length} survivor(s) in ${summaryPath}); this run: ${Object.keys(latest).join(", ")}\n`
)
