/**
 * The last step of `npm run mutation`: condenses Stryker's report (`reports/mutation/mutation.json`)
 * into `bench/results/mutation.json` (kept in git): the score of `src/engine/`, the files mutated, the counts, and
 * every surviving mutant (file, line, mutator, replacement) for docs/testing.md to account for.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"

interface Mutant {
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number } }
}

const report = JSON.parse(readFileSync("reports/mutation/mutation.json", "utf8")) as {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<Mutant> }>
}
const count: Record<string, number> = {}
const survivors: Array<{ file: string; line: number; mutator: string; replacement: string; status: string }> = []
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const m of mutants) {
    count[m.status] = (count[m.status] ?? 0) + 1
    if (m.status === "Survived" || m.status === "NoCoverage") {
      survivors.push({ file, line: m.location.start.line, mutator: m.mutatorName, replacement: (m.replacement ?? "").slice(0, 120), status: m.status })
    }
  }
}
const detected = (count["Killed"] ?? 0) + (count["Timeout"] ?? 0)
const valid = detected + (count["Survived"] ?? 0) + (count["NoCoverage"] ?? 0)
const score = valid === 0 ? 0 : Math.round((detected / valid) * 10000) / 100
survivors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
mkdirSync("bench/results", { recursive: true })
// the files Stryker actually mutated: a run limited with `--mutate` covers less than the scope
const files = Object.keys(report.files).sort()
writeFileSync("bench/results/mutation.json", `${JSON.stringify({ scope: "src/engine/", files, score, count, survivors }, null, 2)}\n`)
process.stdout.write(`mutation score of src/engine/: ${score} % (${detected} of ${valid} detected); ${survivors.length} survivor(s) in bench/results/mutation.json\n`)
