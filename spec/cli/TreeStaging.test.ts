/**
 * The CLI's way through the admin tree, on an in-process tree: a config staged file by file
 * (damo's `stage_kdamonds()` order, `TreeWrites.ts`) reads back as the same config, both through
 * the tree's own typed view and through the CLI's file-by-file reader (`TreeRead.ts`); a second
 * staging only rewrites what changed; and the live `report access` sequence leaves the schemes
 * as they were.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Result } from "effect"
import { TestClock } from "effect/testing"
import { inProcess } from "../../src/cli/AdminTree.ts"
import { SEP } from "../../src/cli/DamoArgv.ts"
import { type DamoOptions, noOptions, optionsToConfigs } from "../../src/cli/DamoOptions.ts"
import { liveSnapshot } from "../../src/cli/ReportAccess.ts"
import { command, ensureKdamonds, stage } from "../../src/cli/Staging.ts"
import { readKdamond } from "../../src/cli/TreeRead.ts"
import { contextWrites, isCountFile } from "../../src/cli/TreeWrites.ts"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { sysfsLayer } from "../sysfs/support/TestOps.ts"

const j = (...words: Array<string>) => words.join(SEP)
const config = (o: Partial<DamoOptions>) => {
  const r = optionsToConfigs({ ...noOptions, ...o })
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success.configs[0]!
}

const cases: ReadonlyArray<Partial<DamoOptions>> = [
  {},
  { target: "paddr", regions: "4096-104857600", monitoringIntervals: j("1ms", "20ms", "500ms") },
  {
    monitoringIntervalsGoal: j("4%", "3", "1ms", "10s"),
    damosAction: ["pageout", j("migrate_cold", "1"), "stat"],
    damosAccessRate: [j("0", "0"), j("0", "5%")],
    damosAge: [j("5s", "max")],
    damosQuotas: [j("100ms", "10M", "1s", "1", "2", "3"), j("0", "1G", "max")],
    damosQuotaGoal: [j("user_input", "100", "80"), j("some_mem_psi_us", "1ms")],
    damosNrQuotaGoals: ["1", "1", "0"],
    damosWmarks: [j("free_mem_rate", "5s", "60%", "30%", "10%")],
    // core filters (addr, target) before ops filters: the tree keeps them in two directories
    damosFilter: [j("allow", "none", "addr", "4096", "8192"), j("reject", "anon"), j("reject", "target", "0")],
    damosNrFilters: ["2", "0", "1"]
  }
]

describe("staging through the tree", () => {
  it.effect("a config staged file by file reads back as itself (tree view and file-by-file reader)", () =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs.Sysfs
      const tree = inProcess(sysfs)
      for (const o of cases) {
        const c = config(o)
        yield* ensureKdamonds(tree, 1)
        yield* stage(tree, 0, c)
        assert.deepStrictEqual(yield* sysfs.readConfig(0), c)
        const read = yield* readKdamond(tree, 0)
        assert.deepStrictEqual(Result.getOrThrow(read.config), c)
        assert.strictEqual(read.state, "off")
      }
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("a second staging rewrites directories in place: nr_* files are written only when the count changes", () =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs.Sysfs
      const writes: Array<string> = []
      const tree = { ...inProcess(sysfs), write: (p: string, v: string) => Effect.andThen(Effect.sync(() => void writes.push(p)), sysfs.write(p, v)) }
      const c = config(cases[2]!)
      yield* ensureKdamonds(tree, 1)
      yield* stage(tree, 0, c)
      const all = Result.getOrThrow(contextWrites(c, 0))
      // nr_kdamonds, then every file but the nr_* files written 0 (fresh directories have no children)
      assert.strictEqual(writes.length, 1 + all.filter((w) => !(isCountFile(w.path) && w.value === "0")).length)
      writes.length = 0
      yield* stage(tree, 0, c)
      assert.isFalse(writes.some(isCountFile))
      assert.deepStrictEqual(yield* sysfs.readConfig(0), c)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("report access's live sequence commits a catch-all scheme, reads its tried regions, and commits the schemes back", () =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs.Sysfs
      const commands: Array<string> = []
      const tree = {
        ...inProcess(sysfs),
        write: (p: string, v: string) => Effect.andThen(Effect.sync(() => void (p.endsWith("/state") && commands.push(v))), sysfs.write(p, v))
      }
      const c = config({ damosAction: ["pageout"], damosAccessRate: [j("0", "0")], damosAge: [j("1s", "max")] })
      yield* ensureKdamonds(tree, 1)
      yield* stage(tree, 0, c)
      yield* command(tree, 0, "on")
      yield* TestClock.adjust("2 seconds")
      const snap = yield* Effect.forkChild(liveSnapshot(tree, 0), { startImmediately: true })
      for (let i = 0; i < 50 && snap.pollUnsafe() === undefined; i++) yield* TestClock.adjust("100 millis")
      const record = yield* Fiber.join(snap)
      assert.deepStrictEqual(commands, ["on", "commit", "update_schemes_stats", "update_tuned_intervals", "update_schemes_tried_regions", "commit"])
      assert.strictEqual(record.schemeIdx, 1)
      assert.isAbove(record.snapshots[0]!.regions.length, 0)
      assert.strictEqual(record.snapshots[0]!.regions.reduce((n, r) => n + r.end - r.start, 0), 100 * 2 ** 20)
      // the schemes are as they were, and the running kdamond has them too
      assert.deepStrictEqual(yield* sysfs.readConfig(0), c)
      const [entry] = yield* sysfs.kdamonds
      assert.deepStrictEqual(yield* entry!.kdamond!.damonCall((ctx) => ctx.schemes.map((s) => s.action)), ["pageout"])
    }).pipe(Effect.provide(sysfsLayer())))
})
