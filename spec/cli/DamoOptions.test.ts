import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { SEP } from "../../src/cli/DamoArgv.ts"
import { type DamoOptions, noOptions, optionsToConfigs } from "../../src/cli/DamoOptions.ts"

const j = (...words: Array<string>) => words.join(SEP)
const configs = (o: Partial<DamoOptions>) => {
  const r = optionsToConfigs({ ...noOptions, ...o })
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success.configs
}
const error = (o: Partial<DamoOptions>) => {
  const r = optionsToConfigs({ ...noOptions, ...o })
  if (Result.isSuccess(r)) throw new Error("accepted")
  return r.failure.message
}

describe("DamoOptions", () => {
  it("no option: vaddr on the workload's pid 42 with damo's default intervals and no scheme", () => {
    const [c] = configs({})
    assert.strictEqual(c!.ops, "vaddr")
    assert.deepStrictEqual(c!.targets, [{ pid: 42, regions: [], obsolete: false }])
    assert.deepStrictEqual([c!.attrs.sampleIntervalUs, c!.attrs.aggrIntervalUs, c!.attrs.opsUpdateIntervalUs], [5000, 100_000, 1_000_000])
    assert.deepStrictEqual([c!.attrs.minNrRegions, c!.attrs.maxNrRegions], [10, 1000])
    assert.strictEqual(c!.schemes.length, 0)
  })

  it("damo's options become the config damo would write: intervals, ranges, a pageout scheme with quotas, watermarks and filters", () => {
    const [c] = configs({
      monitoringIntervals: j("10ms", "200ms", "2s"),
      monitoringNrRegionsRange: j("20", "500"),
      damosAction: ["pageout"],
      damosAccessRate: [j("0", "10%")],
      damosSzRegion: [j("4K", "max")],
      damosAge: [j("5s", "max")],
      damosQuotas: [j("100ms", "10M", "1s", "0", "50%", "50%")],
      damosWmarks: [j("free_mem_rate", "5s", "60%", "30%", "10%")],
      damosFilter: [j("reject", "anon"), j("allow", "none", "addr", "4096", "8192")]
    })
    const s = c!.schemes[0]!
    assert.strictEqual(c!.attrs.sampleIntervalUs, 10_000)
    assert.deepStrictEqual([c!.attrs.minNrRegions, c!.attrs.maxNrRegions], [20, 500])
    assert.strictEqual(s.action, "pageout")
    // 10 % of aggr / sample = 20 samples per window -> 2 samples, as damo converts
    assert.deepStrictEqual([s.pattern.minNrAccesses, s.pattern.maxNrAccesses], [0, 2])
    assert.deepStrictEqual([s.pattern.minSzRegion, s.pattern.minAgeRegion], [4096, 25])
    assert.deepStrictEqual([s.quota.ms, s.quota.sz, s.quota.resetIntervalMs, s.quota.weightNrAccesses], [100, 10 * 2 ** 20, 1000, 500])
    assert.deepStrictEqual([s.wmarks.metric, s.wmarks.intervalUs, s.wmarks.high, s.wmarks.mid, s.wmarks.low], ["free_mem_rate", 5_000_000, 600, 300, 100])
    assert.deepStrictEqual(s.filters.map((f) => [f.type, f.matching, f.allow]), [["anon", true, false], ["addr", false, true]])
  })

  it("several schemes take their options in order; filters and goals are split by the nr_* counts", () => {
    const [c] = configs({
      damosAction: ["pageout", "stat", j("migrate_hot", "1")],
      damosAccessRate: [j("0", "0"), j("50%", "max")],
      damosFilter: [j("reject", "young"), j("allow", "anon"), j("reject", "addr", "0", "4096")],
      damosNrFilters: ["1", "0", "2"],
      damosQuotas: [j("0", "1G", "1s"), j("10ms")],
      damosQuotaGoal: [j("user_input", "100", "80"), j("some_mem_psi_us", "1ms")],
      damosNrQuotaGoals: ["1", "1", "0"]
    })
    assert.deepStrictEqual(c!.schemes.map((s) => s.action), ["pageout", "stat", "migrate_hot"])
    assert.deepStrictEqual(c!.schemes.map((s) => s.filters.length), [1, 0, 2])
    assert.deepStrictEqual(c!.schemes.map((s) => s.quota.goals.map((g) => g.metric)), [["user_input"], ["some_mem_psi_us"], []])
    assert.strictEqual(c!.schemes[2]!.targetNid, 1)
    // damo's older filter form converts to the same filter
    const [old] = configs({ damosAction: ["stat"], damosFilter: [j("anon", "nomatching", "allow")] })
    assert.deepStrictEqual(old!.schemes[0]!.filters.map((f) => [f.type, f.matching, f.allow]), [["anon", false, true]])
  })

  it("a positional target picks paddr or a pid; regions are read for fixed-range targets", () => {
    assert.strictEqual(configs({ target: "paddr", regions: "4096-1048576" })[0]!.ops, "paddr")
    assert.deepStrictEqual(configs({ target: "7" })[0]!.targets[0]!.pid, 7)
    assert.deepStrictEqual(configs({ ops: "fvaddr", regions: "4096-8192 16384-32768" })[0]!.targets[0]!.regions, [{ start: 4096, end: 8192 }, { start: 16384, end: 32768 }])
  })

  it.each([
    [{ damosAccessRate: [j("0", "0")] }, "--damos_access_rate: \"0 0\" is invalid: one more than the 0 --damos_action"],
    [{ damosAction: ["pageout"], damosAccessRate: ["0"] }, "--damos_access_rate: \"0\" is invalid: needs 2 values"],
    [{ damosAction: ["pageout"], damosAccessRate: [j("0", "abc")] }, "--damos_access_rate (scheme 0): \"abc\" is invalid"],
    [{ damosAction: ["frobnicate"] }, "--damos_action (scheme 0): \"frobnicate\" is invalid"],
    [{ damosAction: ["migrate_hot"] }, "--damos_action: \"migrate_hot\" is invalid: migrate_hot needs a numeric target node"],
    [{ monitoringIntervals: j("5ms", "1ms", "1s") }, "--monitoring_intervals: "],
    [{ monitoringNrRegionsRange: j("500", "20") }, "--monitoring_nr_regions_range: "],
    [{ damosAction: ["stat"], damosFilter: [j("reject", "bogus")] }, "--damos_filter: \"reject bogus\" is invalid: unknown filter type"],
    [{ damosAction: ["stat", "stat"], damosFilter: [j("reject", "anon")] }, "--damos_nr_filters is needed with more than one --damos_action"],
    [{ damosAction: ["stat"], damosQuotaGoal: [j("user_input", "100", "80")] }, "scheme 0 has no --damos_quotas"],
    [{ ops: "kvm" }, "--ops: \"kvm\" is invalid"],
    [{ target: "ls -l" }, "target: \"ls -l\" is invalid: must be a pid or paddr"],
    [{ regions: "10-" }, "--regions: \"10-\" is invalid"],
    [{ target: "paddr", targetPid: 3 }, "--target_pid: \"3\" is invalid: paddr monitors physical memory"]
  ] as const)("a bad option names its flag and value (%#)", (o, message) => {
    assert.include(error(o as Partial<DamoOptions>), message)
  })
})
