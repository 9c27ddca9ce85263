/**
 * The shape of the admin tree (port of tools/testing/selftests/damon/sysfs.sh: every directory,
 * every file and its mode) and, for every file, its default value, a valid write and an invalid
 * write that fails with the kernel's errno and changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Sysfs } from "../../src/sysfs/Sysfs.ts"
import { CTX, errnoOf, read, S0, sysfsLayer, write, writeAll } from "./support/TestOps.ts"

const K = "kdamonds/0"

/** One of every numbered directory. */
const populate = writeAll([
  ["kdamonds/nr_kdamonds", "1"],
  [`${K}/contexts/nr_contexts`, "1"],
  [`${CTX}/targets/nr_targets`, "1"],
  [`${CTX}/targets/0/regions/nr_regions`, "1"],
  [`${CTX}/schemes/nr_schemes`, "1"],
  [`${S0}/quotas/goals/nr_goals`, "1"],
  [`${S0}/filters/nr_filters`, "1"],
  [`${S0}/core_filters/nr_filters`, "1"],
  [`${S0}/ops_filters/nr_filters`, "1"],
  [`${S0}/dests/nr_dests`, "1"]
])

/** Every file of a populated kdamond, with its mode (sysfs.sh `ensure_file ... <mode>`), in creation order. */
const manifest: ReadonlyArray<readonly [string, number]> = [
  ["kdamonds/nr_kdamonds", 0o600],
  [`${K}/state`, 0o600],
  [`${K}/pid`, 0o400],
  [`${K}/refresh_ms`, 0o600],
  [`${K}/contexts/nr_contexts`, 0o600],
  [`${CTX}/avail_operations`, 0o400],
  [`${CTX}/operations`, 0o600],
  [`${CTX}/addr_unit`, 0o600],
  ...["sample_us", "aggr_us", "update_us"].map((f) => [`${CTX}/monitoring_attrs/intervals/${f}`, 0o600] as const),
  ...["access_bp", "aggrs", "min_sample_us", "max_sample_us"].map((f) =>
    [`${CTX}/monitoring_attrs/intervals/intervals_goal/${f}`, 0o600] as const
  ),
  [`${CTX}/monitoring_attrs/nr_regions/min`, 0o600],
  [`${CTX}/monitoring_attrs/nr_regions/max`, 0o600],
  [`${CTX}/targets/nr_targets`, 0o600],
  [`${CTX}/targets/0/pid_target`, 0o600],
  [`${CTX}/targets/0/obsolete_target`, 0o600],
  [`${CTX}/targets/0/regions/nr_regions`, 0o600],
  [`${CTX}/targets/0/regions/0/start`, 0o600],
  [`${CTX}/targets/0/regions/0/end`, 0o600],
  [`${CTX}/schemes/nr_schemes`, 0o600],
  [`${S0}/action`, 0o600],
  [`${S0}/apply_interval_us`, 0o600],
  [`${S0}/target_nid`, 0o600],
  ...["sz", "nr_accesses", "age"].flatMap((r) =>
    [[`${S0}/access_pattern/${r}/min`, 0o600], [`${S0}/access_pattern/${r}/max`, 0o600]] as const
  ),
  [`${S0}/dests/nr_dests`, 0o600],
  [`${S0}/dests/0/id`, 0o600],
  [`${S0}/dests/0/weight`, 0o600],
  [`${S0}/quotas/ms`, 0o600],
  [`${S0}/quotas/bytes`, 0o600],
  [`${S0}/quotas/reset_interval_ms`, 0o600],
  [`${S0}/quotas/effective_bytes`, 0o400],
  [`${S0}/quotas/goal_tuner`, 0o600],
  [`${S0}/quotas/weights/sz_permil`, 0o600],
  [`${S0}/quotas/weights/nr_accesses_permil`, 0o600],
  [`${S0}/quotas/weights/age_permil`, 0o600],
  [`${S0}/quotas/goals/nr_goals`, 0o600],
  ...["target_metric", "target_value", "current_value", "nid", "path"].map((f) => [`${S0}/quotas/goals/0/${f}`, 0o600] as const),
  ...["metric", "interval_us", "high", "mid", "low"].map((f) => [`${S0}/watermarks/${f}`, 0o600] as const),
  ...["filters", "core_filters", "ops_filters"].flatMap((d) => [
    [`${S0}/${d}/nr_filters`, 0o600] as const,
    ...["type", "matching", "allow", "memcg_path", "addr_start", "addr_end", "min", "max", "damon_target_idx"].map((f) =>
      [`${S0}/${d}/0/${f}`, 0o600] as const
    )
  ]),
  ...["nr_tried", "sz_tried", "nr_applied", "sz_applied", "sz_ops_filter_passed", "qt_exceeds", "nr_snapshots"].map((f) =>
    [`${S0}/stats/${f}`, 0o400] as const
  ),
  [`${S0}/stats/max_nr_snapshots`, 0o600],
  [`${S0}/tried_regions/total_bytes`, 0o400]
]

/** Depth-first list of every file below `dir`, through the service's `list` and `stat`. */
const walk = (dir: string): Effect.Effect<Array<readonly [string, number]>, unknown, Sysfs> =>
  Effect.gen(function*() {
    const fs = yield* Sysfs
    const out: Array<readonly [string, number]> = []
    for (const name of yield* fs.list(dir)) {
      const path = dir === "" ? name : `${dir}/${name}`
      const st = yield* fs.stat(path)
      if (st.kind === "file") out.push([path, st.mode])
      else out.push(...(yield* walk(path)))
    }
    return out
  })

describe("Tree", () => {
  it.effect("sysfs.sh - every file of the kernel's tree exists with its mode, and nothing else", () =>
    Effect.gen(function*() {
      yield* populate
      assert.deepStrictEqual(yield* walk(""), manifest)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("sysfs.sh - nr_* files create and remove numbered directories", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs
      assert.deepStrictEqual(yield* fs.list("kdamonds"), ["nr_kdamonds"])
      for (const n of ["1", "2", "0"]) {
        yield* write("kdamonds/nr_kdamonds", n)
        assert.deepStrictEqual(yield* fs.list("kdamonds"), ["nr_kdamonds", ...Array.from({ length: Number(n) }, (_, i) => String(i))])
      }
      yield* write("kdamonds/nr_kdamonds", "1")
      yield* write(`${K}/contexts/nr_contexts`, "1")
      assert.strictEqual(yield* errnoOf(write(`${K}/contexts/nr_contexts`, "2")), "EINVAL")
      assert.deepStrictEqual(yield* fs.list(`${K}/contexts`), ["nr_contexts", "0"])
      yield* write(`${K}/contexts/nr_contexts`, "0")
      assert.strictEqual(yield* errnoOf(fs.list(CTX)), "ENOENT")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("nr_* - rewriting a count destroys the directories and recreates them with defaults", () =>
    Effect.gen(function*() {
      yield* populate
      yield* write(`${S0}/action`, "pageout")
      yield* write(`${S0}/quotas/goals/0/target_value`, "5")
      yield* write(`${CTX}/schemes/nr_schemes`, "2")
      assert.strictEqual(yield* read(`${S0}/action`), "stat\n")
      assert.strictEqual(yield* read(`${S0}/quotas/goals/nr_goals`), "0\n")
      assert.strictEqual(yield* read(`${CTX}/schemes/1/action`), "stat\n")
      yield* write(`${CTX}/targets/0/pid_target`, "7")
      yield* write(`${CTX}/targets/nr_targets`, "1")
      assert.strictEqual(yield* read(`${CTX}/targets/0/pid_target`), "0\n")
      assert.strictEqual(yield* read(`${CTX}/targets/0/regions/nr_regions`), "0\n")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("paths - absolute, '..', '.' and unknown paths are ENOENT; directories EISDIR; files ENOTDIR", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs
      yield* populate
      for (const p of ["/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "kdamonds/../kdamonds/nr_kdamonds", "./kdamonds/nr_kdamonds", "kdamonds/1", "nope", `${CTX}/schemes/0/nope`]) {
        assert.strictEqual(yield* errnoOf(fs.read(p)), "ENOENT", p)
        assert.strictEqual(yield* errnoOf(fs.write(p, "1")), "ENOENT", p)
      }
      assert.strictEqual(yield* errnoOf(fs.read("kdamonds")), "EISDIR")
      assert.strictEqual(yield* errnoOf(fs.write(CTX, "1")), "EISDIR")
      assert.strictEqual(yield* errnoOf(fs.list("kdamonds/nr_kdamonds")), "ENOTDIR")
      assert.strictEqual(yield* fs.read("kdamonds//nr_kdamonds"), "1\n")
      assert.deepStrictEqual(yield* fs.list(""), ["kdamonds"])
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("write - an empty write stores nothing; a longer-than-page write is stored page by page", () =>
    Effect.gen(function*() {
      yield* populate
      yield* write(`${S0}/action`, "")
      assert.strictEqual(yield* read(`${S0}/action`), "stat\n")
      // kernfs hands at most PAGE_SIZE bytes to one store; write(2) retries with the rest.
      yield* write(`${S0}/quotas/goals/0/path`, "x".repeat(4096) + "/tail")
      assert.strictEqual(yield* read(`${S0}/quotas/goals/0/path`), "/tail\n")
      yield* write(`${S0}/quotas/goals/0/path`, "y".repeat(4096))
      assert.strictEqual(yield* read(`${S0}/quotas/goals/0/path`), `${"y".repeat(4096)}\n`)
      assert.strictEqual(yield* errnoOf(write(`${S0}/apply_interval_us`, "1".repeat(5000))), "ERANGE")
      assert.strictEqual(yield* read(`${S0}/apply_interval_us`), "0\n")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("avail_operations - lists the registered kernel operations sets in kernel order", () =>
    Effect.gen(function*() {
      yield* populate
      assert.strictEqual(yield* read(`${CTX}/avail_operations`), "vaddr\nfvaddr\npaddr\n")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("memcg paths - stored raw (the written newline kept, as strscpy() keeps it)", () =>
    Effect.gen(function*() {
      yield* populate
      yield* write(`${S0}/filters/0/memcg_path`, "/workload\n")
      assert.strictEqual(yield* read(`${S0}/filters/0/memcg_path`), "/workload\n\n")
      yield* write(`${S0}/quotas/goals/0/path`, "/a")
      assert.strictEqual(yield* read(`${S0}/quotas/goals/0/path`), "/a\n")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("u64 - ULONG_MAX round-trips exactly in every unsigned long file", () =>
    Effect.gen(function*() {
      yield* populate
      const max = "18446744073709551615"
      for (const p of [`${CTX}/monitoring_attrs/intervals/sample_us`, `${CTX}/targets/0/regions/0/end`, `${S0}/quotas/bytes`, `${S0}/access_pattern/sz/max`, `${S0}/stats/max_nr_snapshots`, `${S0}/filters/0/addr_end`, `${CTX}/addr_unit`]) {
        yield* write(p, max)
        assert.strictEqual(yield* read(p), `${max}\n`, p)
      }
      yield* write(`${S0}/quotas/bytes`, "0xffffffffffffffff")
      assert.strictEqual(yield* read(`${S0}/quotas/bytes`), `${max}\n`)
    }).pipe(Effect.provide(sysfsLayer())))
})

/**
 * Per file: [path, default shown, valid input, shown after it, invalid input, errno].
 * `null` invalid input: the file takes any text (memcg paths).
 */
type Row = readonly [string, string, string, string, string | null, string]

const ulongRow = (path: string, def: string): Row => [path, def, "0x10", "16\n", "-1", "EINVAL"]
const rangeRows = (dir: string, min: string, max: string): Array<Row> => [ulongRow(`${dir}/min`, min), ulongRow(`${dir}/max`, max)]
const filterRows = (d: string, type: string, validType: string, invalidType: string): Array<Row> => [
  [`${S0}/${d}/nr_filters`, "1\n", "2", "2\n", "-1", "EINVAL"],
  [`${S0}/${d}/0/type`, `${type}\n`, validType, `${validType}\n`, invalidType, "EINVAL"],
  [`${S0}/${d}/0/matching`, "N\n", "Y", "Y\n", "x", "EINVAL"],
  [`${S0}/${d}/0/allow`, "N\n", "on", "Y\n", "o", "EINVAL"],
  [`${S0}/${d}/0/memcg_path`, "\n", "/a/b", "/a/b\n", null, ""],
  ulongRow(`${S0}/${d}/0/addr_start`, "0\n"),
  ulongRow(`${S0}/${d}/0/addr_end`, "0\n"),
  ulongRow(`${S0}/${d}/0/min`, "0\n"),
  [`${S0}/${d}/0/max`, "0\n", "2097152", "2097152\n", "18446744073709551616", "ERANGE"],
  [`${S0}/${d}/0/damon_target_idx`, "0\n", "-3", "-3\n", "2147483648", "ERANGE"]
]

const rows: ReadonlyArray<Row> = [
  ["kdamonds/nr_kdamonds", "1\n", "1", "1\n", "-1", "EINVAL"],
  [`${K}/state`, "off\n", "clear_schemes_tried_regions", "off\n", "of", "EINVAL"],
  [`${K}/pid`, "-1\n", "", "-1\n", "1", "EACCES"],
  [`${K}/refresh_ms`, "0\n", "1000", "1000\n", "4294967296", "ERANGE"],
  [`${K}/contexts/nr_contexts`, "1\n", "1", "1\n", "2", "EINVAL"],
  [`${CTX}/avail_operations`, "vaddr\nfvaddr\npaddr\n", "", "vaddr\nfvaddr\npaddr\n", "paddr", "EACCES"],
  [`${CTX}/operations`, "vaddr\n", "paddr\n", "paddr\n", "kvm", "EINVAL"],
  [`${CTX}/addr_unit`, "1\n", "4", "4\n", "0", "EINVAL"],
  [`${CTX}/monitoring_attrs/intervals/sample_us`, "5000\n", "1000", "1000\n", "1ms", "EINVAL"],
  [`${CTX}/monitoring_attrs/intervals/aggr_us`, "100000\n", "200000", "200000\n", "18446744073709551616", "ERANGE"],
  [`${CTX}/monitoring_attrs/intervals/update_us`, "60000000\n", "1000000", "1000000\n", "", "ok"],
  ulongRow(`${CTX}/monitoring_attrs/intervals/intervals_goal/access_bp`, "0\n"),
  ulongRow(`${CTX}/monitoring_attrs/intervals/intervals_goal/aggrs`, "0\n"),
  ulongRow(`${CTX}/monitoring_attrs/intervals/intervals_goal/min_sample_us`, "0\n"),
  ulongRow(`${CTX}/monitoring_attrs/intervals/intervals_goal/max_sample_us`, "0\n"),
  ...rangeRows(`${CTX}/monitoring_attrs/nr_regions`, "10\n", "1000\n"),
  [`${CTX}/targets/nr_targets`, "1\n", "3", "3\n", "1.5", "EINVAL"],
  [`${CTX}/targets/0/pid_target`, "0\n", "1234", "1234\n", "2147483648", "EINVAL"],
  [`${CTX}/targets/0/obsolete_target`, "N\n", "Y", "Y\n", "maybe", "EINVAL"],
  [`${CTX}/targets/0/regions/nr_regions`, "1\n", "2", "2\n", "-2", "EINVAL"],
  ulongRow(`${CTX}/targets/0/regions/0/start`, "0\n"),
  ulongRow(`${CTX}/targets/0/regions/0/end`, "0\n"),
  [`${CTX}/schemes/nr_schemes`, "1\n", "0", "0\n", "99999999999", "ERANGE"],
  [`${S0}/action`, "stat\n", "migrate_cold", "migrate_cold\n", "page_out", "EINVAL"],
  ulongRow(`${S0}/apply_interval_us`, "0\n"),
  [`${S0}/target_nid`, "-1\n", "1", "1\n", "one", "EINVAL"],
  ...rangeRows(`${S0}/access_pattern/sz`, "0\n", "0\n"),
  ...rangeRows(`${S0}/access_pattern/nr_accesses`, "0\n", "0\n"),
  ...rangeRows(`${S0}/access_pattern/age`, "0\n", "0\n"),
  [`${S0}/dests/nr_dests`, "1\n", "2", "2\n", "-1", "EINVAL"],
  [`${S0}/dests/0/id`, "0\n", "1", "1\n", "-1", "EINVAL"],
  [`${S0}/dests/0/weight`, "0\n", "700", "700\n", "4294967296", "ERANGE"],
  [`${S0}/quotas/ms`, "0\n", "10", "10\n", "18446744073709551616", "EINVAL"],
  [`${S0}/quotas/bytes`, "0\n", "1048576", "1048576\n", "1M", "EINVAL"],
  [`${S0}/quotas/reset_interval_ms`, "0\n", "100", "100\n", "-1", "EINVAL"],
  [`${S0}/quotas/effective_bytes`, "0\n", "", "0\n", "1", "EACCES"],
  [`${S0}/quotas/goal_tuner`, "consist\n", "temporal", "temporal\n", "fast", "EINVAL"],
  [`${S0}/quotas/weights/sz_permil`, "0\n", "1000", "1000\n", "4294967296", "ERANGE"],
  [`${S0}/quotas/weights/nr_accesses_permil`, "0\n", "1000", "1000\n", "-1", "EINVAL"],
  [`${S0}/quotas/weights/age_permil`, "0\n", "1000", "1000\n", "x", "EINVAL"],
  [`${S0}/quotas/goals/nr_goals`, "1\n", "3", "3\n", "-1", "EINVAL"],
  [`${S0}/quotas/goals/0/target_metric`, "user_input\n", "node_mem_free_bp", "node_mem_free_bp\n", "psi", "EINVAL"],
  ulongRow(`${S0}/quotas/goals/0/target_value`, "0\n"),
  ulongRow(`${S0}/quotas/goals/0/current_value`, "0\n"),
  [`${S0}/quotas/goals/0/nid`, "0\n", "-1", "-1\n", "0x", "EINVAL"],
  [`${S0}/quotas/goals/0/path`, "\n", "/x", "/x\n", null, ""],
  [`${S0}/watermarks/metric`, "none\n", "free_mem_rate", "free_mem_rate\n", "free", "EINVAL"],
  ulongRow(`${S0}/watermarks/interval_us`, "0\n"),
  ulongRow(`${S0}/watermarks/high`, "0\n"),
  ulongRow(`${S0}/watermarks/mid`, "0\n"),
  ulongRow(`${S0}/watermarks/low`, "0\n"),
  ...filterRows("filters", "anon", "target", "file"),
  ...filterRows("core_filters", "anon", "addr", "young"),
  ...filterRows("ops_filters", "anon", "hugepage_size", "target"),
  ...["nr_tried", "sz_tried", "nr_applied", "sz_applied", "sz_ops_filter_passed", "qt_exceeds", "nr_snapshots"].map(
    (f): Row => [`${S0}/stats/${f}`, "0\n", "", "0\n", "0", "EACCES"]
  ),
  ulongRow(`${S0}/stats/max_nr_snapshots`, "0\n"),
  [`${S0}/tried_regions/total_bytes`, "0\n", "", "0\n", "0", "EACCES"]
]

describe("Tree files", () => {
  it("the table covers every file of the tree", () => {
    assert.deepStrictEqual(rows.map((r) => r[0]).sort(), manifest.map((m) => m[0]).sort())
  })
  for (const [path, def, valid, shown, invalid, errno] of rows) {
    it.effect(`${path.replace(CTX, "C").replace(S0, "S")} - default ${JSON.stringify(def)}, valid write, invalid write`, () =>
      Effect.gen(function*() {
        yield* populate
        assert.strictEqual(yield* read(path), def, "default")
        if (invalid !== null) {
          const fs = yield* Sysfs
          const result = yield* Effect.result(fs.write(path, invalid))
          if (errno === "ok") assert.strictEqual(result._tag, "Success")
          else {
            assert.isTrue(result._tag === "Failure", "invalid write must fail")
            if (result._tag === "Failure") {
              assert.strictEqual(result.failure.errno, errno)
              assert.include(result.failure.message, path, "the message names the path")
              if (errno === "EINVAL" || errno === "ERANGE") assert.include(result.failure.message, JSON.stringify(invalid))
            }
            assert.strictEqual(yield* read(path), def, "unchanged after the invalid write")
          }
        }
        if (valid !== "") {
          yield* write(path, valid)
          assert.strictEqual(yield* read(path), shown, "after the valid write")
        }
      }).pipe(Effect.provide(sysfsLayer())))
  }
})
