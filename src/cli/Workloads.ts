/**
 * The masim workloads the CLI runs: a shipped name or a masim file, an unknown one being an
 * error that lists the shipped names; `workload list` and `workload show` (its regions, its
 * phases, and a preview: which region each phase touches, and how often, over one cycle).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { existsSync } from "node:fs"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import { cycleMs, type MasimConfig } from "../sim/MasimConfig.ts"
import { loadMasimConfig, loadMasimConfigFile, masimConfigNames } from "../sim/MasimFiles.ts"
import { formatSize } from "../report/Units.ts"

const shipped = (name: string): boolean => (masimConfigNames as ReadonlyArray<string>).includes(name)

/**
 * Loads a workload by shipped name or by path. A name that is neither is an `InvalidArgument`
 * of `--workload` listing the shipped names; a file that does not parse names its line.
 */
export const loadWorkload = (workload: string, flag = "--workload"): Result.Result<MasimConfig, DamonError> => {
  if (shipped(workload)) return loadMasimConfig(workload)
  if (!existsSync(workload)) {
    return Result.fail(invalidArgument(flag, workload, `is neither a shipped workload (${masimConfigNames.join(", ")}) nor a masim file`))
  }
  return loadMasimConfigFile(workload)
}

/** `workload list`: the shipped workloads, one line each with size, phases and cycle. */
export const runWorkloadList: Effect.Effect<void, DamonError> = Effect.gen(function*() {
  for (const name of masimConfigNames) {
    const c = loadMasimConfig(name)
    if (Result.isFailure(c)) return yield* Effect.fail(c.failure)
    const total = c.success.regions.reduce((n, r) => n + r.size, 0)
    yield* Console.log(
      `${name.padEnd(14)} ${String(c.success.regions.length).padStart(2)} regions ${formatSize(total).padStart(12)}  ` +
        `${String(c.success.phases.length).padStart(2)} phases, cycle ${(cycleMs(c.success) / 1000).toFixed(1)} s`
    )
  }
  yield* Console.log("\n(effect-damon workload show <name> for its phases; any masim file works too: --workload path/to/file.cfg)")
})

/** The preview: one row per phase, one column group per region, the access probability share as a bar. */
export const formatWorkload = (c: MasimConfig): string => {
  const lines: Array<string> = []
  const total = c.regions.reduce((n, r) => n + r.size, 0)
  lines.push(`# masim workload '${c.name}': ${c.regions.length} regions, ${formatSize(total)}; ${c.phases.length} phases, one cycle ${(cycleMs(c) / 1000).toFixed(1)} s (it loops)`)
  lines.push("# regions")
  c.regions.forEach((r, i) => lines.push(`  ${String(i).padStart(2)} ${r.name.padEnd(12)} ${formatSize(r.size).padStart(12)}`))
  lines.push("# phases: duration, then each region's share of the accesses (sequential/random, stride)")
  for (const p of c.phases) {
    const sum = p.patterns.reduce((n, x) => n + x.probability, 0)
    const shares = p.patterns.map((x) =>
      `${x.region} ${sum === 0 ? 0 : Math.round((100 * x.probability) / sum)}% ${x.random ? "random" : "seq"} ${x.stride} B`
    )
    lines.push(`  ${p.name.padEnd(16)} ${`${(p.durationMs / 1000).toFixed(1)} s`.padStart(8)}  ${shares.join(", ")}`)
  }
  lines.push("# preview: phases down, regions across (digits: share of accesses in tens of percent; '.' idle)")
  const width = Math.min(60, Math.max(c.regions.length, 10))
  const header = "  ".padEnd(19) + c.regions.map((_, i) => String(i % 10)).join("").padEnd(width)
  lines.push(header.trimEnd())
  for (const p of c.phases) {
    const sum = p.patterns.reduce((n, x) => n + x.probability, 0)
    const cells = c.regions.map((_, i) => {
      const share = p.patterns.filter((x) => x.regionIndex === i).reduce((n, x) => n + x.probability, 0)
      return share === 0 || sum === 0 ? "." : String(Math.min(9, Math.floor((10 * share) / sum)))
    })
    lines.push(`  ${p.name.slice(0, 16).padEnd(16)} |${cells.join("")}|`)
  }
  return lines.join("\n")
}

/** `workload show <name|file>`. */
export const runWorkloadShow = (workload: string): Effect.Effect<void, DamonError> =>
  Effect.gen(function*() {
    const c = loadWorkload(workload, "<workload>")
    if (Result.isFailure(c)) return yield* Effect.fail(c.failure)
    yield* Console.log(formatWorkload(c.success))
  })
