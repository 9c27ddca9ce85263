/**
 * The workload the flags of `report accuracy` and `report sweep` name: a masim config, or a lackey
 * trace file (plain or gzip), or standard input (`--trace -`), copied to a temporary file because
 * every monitor replays the trace and stdin can be read once. The copy streams in bounded memory
 * and is removed when the scope closes; {@link namingStdin} names it `stdin` in errors.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { stdinChunks } from "../accuracy/TraceReplay.ts"
import type { WorkloadSpec } from "../accuracy/Workload.ts"
import { SweepFailed } from "../accuracy/Sweep.ts"
import { DamonError, InvalidArgument } from "../model/DamonError.ts"
import type { WorkloadFlagValues } from "./AccuracyFlags.ts"

const stdinToFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "effect-damon-trace-"))
    const path = join(dir, "stdin.lackey")
    return { dir, path, fd: openSync(path, "w") }
  }),
  ({ dir, fd }) =>
    Effect.sync(() => {
      closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    })
).pipe(Effect.tap(({ fd }) => Stream.runForEach(stdinChunks, (chunk) =>
  Effect.sync(() => {
    for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off)
  }))))

/** The workload `flags` name; stdin is read to its end first (a temporary file, in the scope). */
export const workloadOf = (flags: WorkloadFlagValues): Effect.Effect<WorkloadSpec, DamonError, Scope.Scope> =>
  Effect.gen(function*() {
    if (flags.trace === "") return { kind: "masim", name: flags.workload }
    const path = flags.trace === "-" ? (yield* stdinToFile).path : flags.trace
    return { kind: "trace", path, accessesPerUs: flags.rate, instructions: !flags.dataOnly, skipBadLines: flags.skipBadLines }
  })

/**
 * `e` with the temporary copy of stdin named `stdin`, as the user knows it: an error about the
 * trace names its file and line (`stdin:142358: ...`). Any other error, or a workload not read from
 * stdin, is returned as it is.
 */
export const namingStdin = (flags: Pick<WorkloadFlagValues, "trace">, workload: WorkloadSpec) => <E>(e: E): E => {
  if (flags.trace !== "-" || workload.kind !== "trace") return e
  const named = (text: string) => text.replaceAll(workload.path, "stdin")
  if (e instanceof SweepFailed) return new SweepFailed({ index: e.index, detail: named(e.detail) }) as E
  if (e instanceof DamonError && e.reason instanceof InvalidArgument) {
    const { field, value, rule } = e.reason
    return new DamonError({ reason: new InvalidArgument({ field: named(field), value: named(value), rule: named(rule) }) }) as E
  }
  return e
}
