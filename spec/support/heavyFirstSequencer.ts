/**
 * The order test files start in when vitest has no timings of its own: the heaviest first. Vitest
 * orders files by their last run's duration, longest first, so that each worker ends on short
 * files; without that cache (a clean clone, `.ci/run`) it orders them by size, and a file of 4 to
 * 12 s can start last and keep one core busy while the other waits. On 2 cores that cost 2 to 5 s
 * of the suite's wall time.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node"

/**
 * The files measured heaviest (wall time in a run of the suite on 2 cores, December 7: processes,
 * worker threads, real tools, the largest properties), heaviest first. A file missing here is
 * ordered after these, as vitest orders it; a path here that no longer exists fails
 * `spec/support/heavyFirstSequencer.test.ts`.
 */
export const heaviestFiles: ReadonlyArray<string> = [
  "spec/cli/Binary.test.ts",
  "spec/http/Serve.test.ts",
  "spec/http/Limits.test.ts",
  "spec/http/Security.test.ts",
  "spec/accuracy/Valgrind.test.ts",
  "spec/http/Pipelining.test.ts",
  "spec/ops/opsFilters.properties.test.ts",
  "spec/engine/Hostile.property.test.ts",
  "spec/sysfs/Property.test.ts",
  "spec/accuracy/SweepWorker.test.ts",
  "spec/accuracy/SweepPackaged.test.ts",
  "spec/http/Endpoint.test.ts",
  "spec/cli/ReportSweep.test.ts",
  "spec/accuracy/LackeyTrace.test.ts",
  "spec/engine/Limits.test.ts",
  "spec/examples.test.ts",
  "spec/cli/ReportAccuracy.test.ts"
]

/**
 * `files` in the order to start them: vitest's own when it has a duration for every file;
 * otherwise {@link heaviestFiles} first, in their order, then the rest in vitest's (so then the
 * list also comes before vitest's "failed files first").
 */
export const orderFiles = <F>(files: ReadonlyArray<F>, pathOf: (file: F) => string, allTimed: boolean): Array<F> => {
  if (allTimed) return [...files]
  const rank = (f: F): number => {
    const i = heaviestFiles.indexOf(pathOf(f))
    return i < 0 ? heaviestFiles.length : i
  }
  // a stable sort: the files not listed keep vitest's order
  return [...files].sort((a, b) => rank(a) - rank(b))
}

/** Vitest's sequencer, with {@link orderFiles} after its sort. */
export class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const root = this.ctx.config.root
    const allTimed = files.every((f) => this.ctx.cache.getTestSpecificationResult(f) !== undefined)
    return orderFiles(sorted, (f) => relativeTo(root, f.moduleId), allTimed)
  }
}

/** `path` relative to `root`, with forward slashes. */
const relativeTo = (root: string, path: string): string => {
  const p = path.replaceAll("\\", "/")
  const r = root.replaceAll("\\", "/").replace(/\/$/, "")
  return p.startsWith(`${r}/`) ? p.slice(r.length + 1) : p
}

/**
 * vitest's `sequence` option for a run started with `argv`: {@link HeavyFirstSequencer}, unless
 * the run asks for a shuffle (`--sequence.shuffle`, `.files`, `.tests`), since vitest shuffles
 * files only when no sequencer is set.
 */
export const sequenceFor = (argv: ReadonlyArray<string>): { sequencer?: typeof HeavyFirstSequencer } =>
  argv.some((arg) => arg.startsWith("--sequence.shuffle")) ? {} : { sequencer: HeavyFirstSequencer }
