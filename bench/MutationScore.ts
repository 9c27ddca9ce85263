/**
 * The summary of mutation testing kept in git (`bench/results/mutation.json`), as pure functions
 * over Stryker's JSON report. With `incremental` on, a run limited with `--mutate` also reports
 * the files outside its scope, copied from the incremental file as an earlier run (possibly an
 * interrupted one) left them. So the summary keeps results per file and takes from a report only
 * the files its run mutated (`config.mutate`): they replace their earlier results, the others
 * keep theirs, and the score is over every file measured.
 */
import { matchesGlob } from "node:path"


/** One mutant as Stryker's JSON report (mutation-testing-report-schema) describes it. */
export interface ReportMutant {
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number } }
}

/** Stryker's JSON report, the parts the summary reads. */
export interface Report {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<ReportMutant> }>
  /** The run's options; `mutate` is what it mutated (globs or paths, `!` to exclude, `:lines` ranges). */
  readonly config?: { readonly mutate?: ReadonlyArray<string> }
}

/** A mutant no test detected: it survived, or no test covered it. */
export interface Survivor {
  readonly file: string
  readonly line: number
  readonly mutator: string
  readonly replacement: string
  readonly status: string
}

/** One file's results: mutants per status, the undetected ones, and when the run ended. */
export interface FileResult {
  readonly count: Readonly<Record<string, number>>
  readonly survivors: ReadonlyArray<Survivor>
  readonly measuredAt: string
}

/** The summary file. `byFile` is what later runs merge into; the rest is derived from it. */
export interface Summary {
  readonly scope: string
  readonly files: ReadonlyArray<string>
  /** Killed and timed-out mutants over valid ones (those plus survived and uncovered), in %. */
  readonly score: number
  readonly count: Readonly<Record<string, number>>
  readonly byFile: Readonly<Record<string, FileResult>>
  readonly survivors: ReadonlyArray<Survivor>
}

/** Whether the run mutated `file`: some `mutate` pattern (a line range cut off) matches it and no `!` pattern does. */
export const inScope = (file: string, mutate: ReadonlyArray<string>): boolean => {
  const glob = (pattern: string) => matchesGlob(file, pattern.replace(/:\d+(:\d+)?-\d+(:\d+)?$/, ""))
  return mutate.some((p) => !p.startsWith("!") && glob(p)) && !mutate.some((p) => p.startsWith("!") && glob(p.slice(1)))
}

/** The results of each file `report`'s run mutated (all its files when it does not say), stamped `measuredAt`. */
export const fileResults = (report: Report, measuredAt: string): Record<string, FileResult> => {
  const out: Record<string, FileResult> = {}
  const mutate = report.config?.mutate
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (mutate !== undefined && !inScope(file, mutate)) continue
    const count: Record<string, number> = {}
    const survivors: Array<Survivor> = []
    for (const m of mutants) {
      count[m.status] = (count[m.status] ?? 0) + 1
      if (m.status === "Survived" || m.status === "NoCoverage") {
        survivors.push({ file, line: m.location.start.line, mutator: m.mutatorName, replacement: (m.replacement ?? "").slice(0, 120), status: m.status })
      }
    }
    survivors.sort((a, b) => a.line - b.line)
    out[file] = { count, survivors, measuredAt }
  }
  return out
}

/** Killed and timed-out mutants over valid ones, in % with two decimals (0 when none is valid). */
export const scoreOf = (count: Readonly<Record<string, number>>): number => {
  const detected = (count["Killed"] ?? 0) + (count["Timeout"] ?? 0)
  const valid = detected + (count["Survived"] ?? 0) + (count["NoCoverage"] ?? 0)
  return valid === 0 ? 0 : Math.round((detected / valid) * 10000) / 100
}

/**
 * The summary after a run: `previous`'s files (a summary without `byFile`, from before per-file
 * results, contributes none) with the files of `latest` replaced by its results.
 */
export const merge = (previous: Partial<Summary> | undefined, latest: Record<string, FileResult>, scope: string): Summary => {
  const byFile: Record<string, FileResult> = { ...previous?.byFile, ...latest }
  const files = Object.keys(byFile).sort()
  const count: Record<string, number> = {}
  for (const file of files) {
    for (const [status, n] of Object.entries(byFile[file]!.count)) count[status] = (count[status] ?? 0) + n
  }
  const sortedByFile: Record<string, FileResult> = {}
  for (const file of files) sortedByFile[file] = byFile[file]!
  return {
    scope,
    files,
    score: scoreOf(count),
    count,
    byFile: sortedByFile,
    survivors: files.flatMap((file) => byFile[file]!.survivors)
  }
}
