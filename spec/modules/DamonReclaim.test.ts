import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Damon, Paddr } from "effect-damon"
import { SimSpace } from "effect-damon/sim"
import { DamonLruSort } from "../../src/modules/DamonLruSort.ts"
import * as DamonReclaimModule from "../../src/modules/DamonReclaim.ts"
import { DamonReclaim } from "../../src/modules/DamonReclaim.ts"
import { inputTable, statsTable } from "../../src/modules/ReclaimParams.ts"
import { damonLayer, errorOf, MiB, reasonOf, smallMachine, stack } from "./support.ts"

const UINT_MAX = 0xffff_ffff

/** Parameters under which the scheme runs on the small, mostly free machine. */
const busyParams = { minAgeUs: 0, wmarksHigh: 1000, wmarksMid: 500, wmarksLow: 0 }

describe("DamonReclaim", () => {
  describe("parameters", () => {
    it.effect("read - every parameter file shows the kernel's default", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        const expected: Record<string, string> = {
          enabled: "N\n",
          commit_inputs: "N\n",
          kdamond_pid: "-1\n",
          min_age: "120000000\n",
          quota_ms: "10\n",
          quota_sz: "134217728\n",
          quota_reset_interval_ms: "1000\n",
          quota_mem_pressure_us: "0\n",
          quota_autotune_feedback: "0\n",
          wmarks_interval: "5000000\n",
          wmarks_high: "500\n",
          wmarks_mid: "400\n",
          wmarks_low: "200\n",
          sample_interval: "5000\n",
          aggr_interval: "100000\n",
          min_nr_regions: "10\n",
          max_nr_regions: "1000\n",
          monitor_region_start: "0\n",
          monitor_region_end: "0\n",
          addr_unit: "1\n",
          skip_anon: "N\n",
          nr_reclaim_tried_regions: "0\n",
          bytes_reclaim_tried_regions: "0\n",
          nr_reclaimed_regions: "0\n",
          bytes_reclaimed_regions: "0\n",
          nr_quota_exceeds: "0\n"
        }
        assert.deepStrictEqual([...m.parameters], Object.keys(expected).sort())
        for (const name of m.parameters) assert.strictEqual(yield* m.read(name), expected[name], name)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("write - every input parameter takes valid text and refuses bad text by name and value, unchanged", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        for (const p of inputTable) {
          const before = yield* m.read(p.name)
          const bad = p.kind === "bool" ? ["maybe", ""] : ["abc", "-1", "12x", ""]
          for (const text of bad) {
            const e = errorOf(yield* Effect.exit(m.write(p.name, text)))
            assert.strictEqual(e?.reason._tag, "InvalidArgument", `${p.name} <- ${text}`)
            assert.include(e?.message, `damon_reclaim.${p.name}: ${JSON.stringify(text)} is invalid`)
            assert.strictEqual(yield* m.read(p.name), before)
          }
          if (p.kind === "ulong") {
            const over = yield* Effect.exit(m.write(p.name, "18446744073709551616"))
            assert.strictEqual(reasonOf(over), "OutOfRange", p.name)
            assert.strictEqual(reasonOf(yield* Effect.exit(m.write(p.name, "18446744073709551615"))), "InvalidArgument")
            assert.strictEqual(yield* m.read(p.name), before)
            yield* m.write(p.name, "0x1000\n")
            assert.strictEqual(yield* m.read(p.name), "4096\n", p.name)
            yield* m.write(p.name, "12345")
            assert.strictEqual(yield* m.read(p.name), "12345\n", p.name)
          } else {
            yield* m.write(p.name, "Y\n")
            assert.strictEqual(yield* m.read(p.name), "Y\n")
            yield* m.write(p.name, "off")
            assert.strictEqual(yield* m.read(p.name), "N\n")
          }
        }
        const zero = errorOf(yield* Effect.exit(m.write("addr_unit", "0")))
        assert.include(zero?.message, "damon_reclaim.addr_unit: \"0\" is invalid: must not be 0")
        assert.strictEqual(yield* m.read("addr_unit"), "12345\n")
        const typed = yield* m.params
        assert.strictEqual(typed.minAgeUs, 12345)
        assert.strictEqual(typed.skipAnon, false)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("write - read-only parameters are EACCES, unknown ones ENOENT, bad enabled/commit_inputs text EINVAL", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        for (const name of ["kdamond_pid", ...statsTable.map(([n]) => n)]) {
          const e = errorOf(yield* Effect.exit(m.write(name, "1")))
          assert.strictEqual(e?.reason._tag, "AccessDenied", name)
          assert.strictEqual(e?.errno, "EACCES")
        }
        assert.strictEqual(errorOf(yield* Effect.exit(m.write("nope", "1")))?.errno, "ENOENT")
        assert.strictEqual(errorOf(yield* Effect.exit(m.read("nope")))?.errno, "ENOENT")
        assert.include(errorOf(yield* Effect.exit(m.write("enabled", "maybe")))?.message, "damon_reclaim.enabled: \"maybe\" is invalid")
        assert.include(errorOf(yield* Effect.exit(m.write("commit_inputs", "2")))?.message, "damon_reclaim.commit_inputs")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("set - a typed patch is all or nothing; errors name the kernel parameter and the value", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set({ minAgeUs: 5_000_000, skipAnon: true, quotaSz: 0 })
        assert.strictEqual(yield* m.read("min_age"), "5000000\n")
        assert.strictEqual(yield* m.read("skip_anon"), "Y\n")
        assert.strictEqual(yield* m.read("quota_sz"), "0\n")
        const e = errorOf(yield* Effect.exit(m.set({ minAgeUs: 1, wmarksHigh: -5 })))
        assert.include(e?.message, "damon_reclaim.wmarks_high: -5 is invalid")
        assert.include(errorOf(yield* Effect.exit(m.set({ addrUnit: 0 })))?.message, "damon_reclaim.addr_unit: 0 is invalid")
        assert.strictEqual((yield* m.params).minAgeUs, 5_000_000)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("layer - initial parameters (boot command line) are validated like writes", () =>
      Effect.gen(function*() {
        const machine = smallMachine()
        const read = Effect.flatMap(DamonReclaim, (m) => m.read("min_age"))
        const withParams = (params: DamonReclaimModule.DamonReclaimOptions["params"] & object) =>
          DamonReclaimModule.layer({ memory: machine, params }).pipe(Layer.provide(damonLayer(machine)))
        assert.strictEqual(yield* Effect.provide(read, withParams({ minAgeUs: 42 })), "42\n")
        const bad = yield* Effect.exit(Effect.provide(read, withParams({ addrUnit: 0 })))
        assert.include(errorOf(bad)?.message, "damon_reclaim.addr_unit: 0 is invalid")
      }))
  })

  describe("enabled", () => {
    it.effect("enable - starts an exclusive paddr kdamond: non-exclusive starts get Busy; kdamond_pid shows its pid", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        const damon = yield* Damon.Damon
        yield* m.write("enabled", "Y\n")
        assert.strictEqual(yield* m.read("enabled"), "Y\n")
        const k = (yield* m.kdamond)!
        assert.strictEqual(yield* m.read("kdamond_pid"), `${k.pid}\n`)
        assert.isTrue(k.pid > 0)
        assert.strictEqual(yield* damon.nrRunningCtxs, 1)
        // the sysfs interface's `on` is a non-exclusive start
        const sysfsOn = yield* Effect.exit(damon.start({ ops: "paddr", targets: [{ regions: [{ start: 0, end: MiB }] }] }))
        assert.strictEqual(reasonOf(sysfsOn), "Busy")
        assert.strictEqual(errorOf(sysfsOn)?.errno, "EBUSY")
        // so is every other special-purpose module
        assert.strictEqual(reasonOf(yield* Effect.exit((yield* DamonLruSort).enable)), "Busy")
        const ctx = yield* k.damonCall((c) => ({
          ops: c.opsId,
          regions: c.targets.map((t) => [t.regions[0]!.start, t.regions.at(-1)!.end]),
          schemes: c.schemes.map((s) => ({
            action: s.action,
            pattern: s.pattern,
            quota: [s.quota.ms, s.quota.sz, s.quota.resetIntervalMs, s.quota.weightSz, s.quota.weightNrAccesses, s.quota.weightAge],
            wmarks: s.wmarks.metric
          })),
          attrs: c.attrs
        }))
        const ram = Paddr.biggestSystemRamRange(SimSpace.simSpace(smallMachine()))
        assert.strictEqual(ctx.ops, "paddr")
        assert.deepStrictEqual(ctx.regions, [[ram.start, ram.end]])
        assert.deepStrictEqual(ctx.schemes, [{
          action: "pageout",
          pattern: {
            minSzRegion: 4096,
            maxSzRegion: Number.MAX_SAFE_INTEGER,
            minNrAccesses: 0,
            maxNrAccesses: 0,
            minAgeRegion: 1200,
            maxAgeRegion: UINT_MAX
          },
          quota: [10, 128 * MiB, 1000, 0, 0, 1],
          wmarks: "free_mem_rate"
        }])
        assert.strictEqual(ctx.attrs.opsUpdateIntervalUs, 0)
        // the default region is written back into the parameters
        assert.strictEqual(yield* m.read("monitor_region_start"), `${ram.start}\n`)
        assert.strictEqual(yield* m.read("monitor_region_end"), `${ram.end}\n`)
        // writing Y again changes nothing
        yield* m.write("enabled", "Y")
        assert.strictEqual((yield* m.kdamond)!.pid, k.pid)
        yield* m.write("enabled", "N")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        assert.strictEqual(yield* m.read("kdamond_pid"), "-1\n")
        assert.isFalse(yield* k.isRunning)
        assert.strictEqual(yield* damon.nrRunningCtxs, 0)
        const later = yield* damon.start({ ops: "paddr", targets: [{ regions: [{ start: 0, end: MiB }] }] })
        yield* later.stop
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("enable - refused with Busy while another DAMON user runs; the module stays disabled", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        const other = yield* (yield* Damon.Damon).start({ ops: "paddr", targets: [{ regions: [{ start: 0, end: MiB }] }] })
        const e = errorOf(yield* Effect.exit(m.write("enabled", "Y")))
        assert.strictEqual(e?.errno, "EBUSY")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        assert.strictEqual(yield* m.read("kdamond_pid"), "-1\n")
        yield* other.stop
        yield* m.enable
        assert.isTrue(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("enable - an invalid parameter is named and starts nothing", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.write("min_nr_regions", "2")
        const e = errorOf(yield* Effect.exit(m.write("enabled", "Y")))
        assert.include(e?.message, "damon_reclaim.min_nr_regions: 2 is invalid: must be >= 3")
        assert.strictEqual(yield* (yield* Damon.Damon).nrRunningCtxs, 0)
        yield* m.write("min_nr_regions", "3")
        yield* m.write("addr_unit", "3")
        assert.include(errorOf(yield* Effect.exit(m.enable))?.message, "damon_reclaim.addr_unit: 3 is invalid")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
      }).pipe(Effect.provide(stack(smallMachine()))))
  })

  describe("commit_inputs", () => {
    it.effect("commit_inputs - Y is applied by the repeat call: the running scheme changes, then it reads N", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* m.set({
          minAgeUs: 10_000_000,
          quotaMs: 0,
          quotaSz: MiB,
          quotaResetIntervalMs: 500,
          quotaMemPressureUs: 2000,
          quotaAutotuneFeedback: 3000,
          skipAnon: true,
          wmarksHigh: 900,
          aggrIntervalUs: 200_000
        })
        // not applied before commit_inputs
        assert.strictEqual(yield* k.damonCall((c) => c.schemes[0]!.pattern.minAgeRegion), 0)
        yield* m.write("commit_inputs", "Y")
        assert.strictEqual(yield* m.read("commit_inputs"), "Y\n")
        yield* m.write("commit_inputs", "N")
        assert.strictEqual(yield* m.read("commit_inputs"), "Y\n", "N does not cancel a pending commit")
        yield* TestClock.adjust("20 millis")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        const s = yield* k.damonCall((c) => ({
          minAge: c.schemes[0]!.pattern.minAgeRegion,
          quota: [c.schemes[0]!.quota.ms, c.schemes[0]!.quota.sz, c.schemes[0]!.quota.resetIntervalMs],
          goals: c.schemes[0]!.quota.goals.map((g) => [g.metric, g.targetValue, g.metric === "user_input" ? g.currentValue : 0]),
          filters: c.schemes[0]!.opsFilters,
          high: c.schemes[0]!.wmarks.high,
          aggr: c.attrs.aggrIntervalUs
        }))
        assert.deepStrictEqual(s, {
          minAge: 50,
          quota: [0, MiB, 500],
          goals: [["some_mem_psi_us", 2000, 0], ["user_input", 10_000, 3000]],
          filters: [{ type: "anon", matching: true, allow: false }],
          high: 900,
          aggr: 200_000
        })
        assert.isTrue(yield* m.enabled)
        assert.strictEqual((yield* m.kdamond)!.pid, k.pid, "committed online, not restarted")
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commitInputs - waits until the kdamond applied the parameters", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.enable
        yield* m.set({ minAgeUs: 500_000 })
        const f = yield* Effect.forkChild(m.commitInputs, { startImmediately: true })
        yield* TestClock.adjust("10 millis")
        yield* Fiber.join(f)
        assert.strictEqual(yield* (yield* m.kdamond)!.damonCall((c) => c.schemes[0]!.pattern.minAgeRegion), 5)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - while the watermarks keep the scheme inactive, applied at the next watermark check", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.enable
        const k = (yield* m.kdamond)!
        assert.isFalse(yield* k.damonCall((c) => c.schemes[0]!.wmarks.activated), "free memory is above wmarks_high")
        yield* m.set({ minAgeUs: 1_000_000 })
        yield* m.write("commit_inputs", "Y")
        yield* TestClock.adjust("4 seconds")
        assert.strictEqual(yield* m.read("commit_inputs"), "Y\n")
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        assert.strictEqual(yield* k.damonCall((c) => c.schemes[0]!.pattern.minAgeRegion), 10)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commitInputs - fails with Canceled when the module is disabled before the kdamond applied it", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.enable
        const f = yield* Effect.forkChild(Effect.exit(m.commitInputs), { startImmediately: true })
        yield* TestClock.adjust("1 second")
        yield* m.disable
        assert.strictEqual(errorOf(yield* Fiber.join(f))?.errno, "ECANCELED")
        assert.strictEqual(yield* m.read("commit_inputs"), "Y\n", "still pending, as the kernel's flag")
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - the store validates the monitoring attributes: EINVAL, nothing pending, still running", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.enable
        yield* m.write("sample_interval", "200000")
        const e = errorOf(yield* Effect.exit(m.write("commit_inputs", "Y")))
        assert.include(e?.message, "damon_reclaim.sample_interval: 200000 is invalid: must be <= aggr_interval (100000)")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        yield* TestClock.adjust("20 millis")
        assert.isTrue(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - an invalid input found while applying disables the module", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* m.write("addr_unit", "3")
        const f = yield* Effect.forkChild(Effect.exit(m.commitInputs), { startImmediately: true })
        yield* TestClock.adjust("10 millis")
        const exit = yield* Fiber.join(f)
        assert.include(errorOf(exit)?.message, "damon_reclaim.addr_unit: 3 is invalid")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        assert.strictEqual(yield* m.read("kdamond_pid"), "-1\n")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        assert.isFalse(yield* k.isRunning)
        // the same through the text interface: the write succeeds, the kdamond stops on applying
        yield* m.write("addr_unit", "1")
        yield* m.enable
        yield* m.write("monitor_region_start", "8192")
        yield* m.write("monitor_region_end", "4096")
        yield* m.write("commit_inputs", "Y")
        assert.isTrue(yield* m.enabled)
        yield* TestClock.adjust("10 millis")
        assert.strictEqual(yield* m.read("enabled"), "N\n")
        // writing N to a module that stopped by itself is a no-op
        yield* m.write("enabled", "N")
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("commit_inputs - while disabled the request stays pending and is applied after enable", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.commitInputs
        assert.strictEqual(yield* m.read("commit_inputs"), "Y\n")
        yield* m.enable
        yield* TestClock.adjust("10 millis")
        assert.strictEqual(yield* m.read("commit_inputs"), "N\n")
        assert.isTrue(yield* m.enabled)
      }).pipe(Effect.provide(stack(smallMachine()))))
  })

  describe("stats", () => {
    it.effect("stats - the read-only parameters follow the running scheme's stats", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.enable
        const k = (yield* m.kdamond)!
        yield* TestClock.adjust("2 seconds")
        const stat = yield* k.damonCall((c) => ({ ...c.schemes[0]!.stat }))
        // the repeat call copies at the next loop point, before the next apply pass
        yield* TestClock.adjust("5 millis")
        const shown = yield* m.stats
        assert.isTrue(stat.nrTried > 0)
        assert.deepStrictEqual(shown, {
          nrTried: stat.nrTried,
          bytesTried: stat.szTried,
          nrApplied: stat.nrApplied,
          bytesApplied: stat.szApplied,
          nrQuotaExceeds: stat.qtExceeds
        })
        assert.strictEqual(yield* m.read("nr_reclaim_tried_regions"), `${stat.nrTried}\n`)
        assert.strictEqual(yield* m.read("bytes_reclaim_tried_regions"), `${stat.szTried}\n`)
        assert.strictEqual(yield* m.read("nr_reclaimed_regions"), `${stat.nrApplied}\n`)
        assert.strictEqual(yield* m.read("bytes_reclaimed_regions"), `${stat.szApplied}\n`)
        assert.strictEqual(yield* m.read("nr_quota_exceeds"), `${stat.qtExceeds}\n`)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("stats - kept after disable and carried over by the next enable (the module's context keeps its scheme)", () =>
      Effect.gen(function*() {
        const m = yield* DamonReclaim
        yield* m.set(busyParams)
        yield* m.enable
        yield* TestClock.adjust("1 second")
        yield* m.disable
        const after = yield* m.stats
        assert.isTrue(after.nrTried > 0)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* m.stats, after)
        yield* m.enable
        yield* TestClock.adjust("1 second")
        const again = yield* m.stats
        assert.isTrue(again.nrTried > after.nrTried)
        const running = yield* (yield* m.kdamond)!.damonCall((c) => c.schemes[0]!.stat.nrTried)
        assert.isTrue(again.nrTried <= after.nrTried + running)
      }).pipe(Effect.provide(stack(smallMachine()))))

    it.effect("stats - the layer's release stops the kdamond", () =>
      Effect.gen(function*() {
        const machine = smallMachine()
        const k = yield* Effect.gen(function*() {
          const m = yield* DamonReclaim
          yield* m.enable
          return (yield* m.kdamond)!
        }).pipe(Effect.provide(stack(machine)))
        assert.isFalse(yield* k.isRunning)
        assert.isTrue(Exit.isSuccess(yield* Effect.exit(k.join)))
      }))
  })
})
