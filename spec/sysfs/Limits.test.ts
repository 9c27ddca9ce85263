/**
 * Limits on the admin tree (issue 13, item 3): one `nr_*` count, the whole tree's files and
 * directories, the kdamond and scheme directories a listing visits, and the bytes path files
 * hold. Each is checked before anything is allocated and refused with `ENOMEM`, leaving the tree
 * as it was; each is tested at the limit and one past it. The accounting itself is checked
 * against the file view on seeded random trees.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Rng } from "effect-damon"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { adminDir, type Node } from "../../src/sysfs/Tree.ts"
import { defaultLimits, MAX_NR_DIRS, rootSize, type TreeLimits } from "../../src/sysfs/TreeLimits.ts"
import * as TreeState from "../../src/sysfs/TreeState.ts"
import { CTX, errnoOf, matchAll, read, S0, setupVaddr, sysfsLayer, write, writeAll } from "./support/TestOps.ts"

/** Files and directories below `node`, counted on the file view. */
const countView = (node: Node): number =>
  node.kind === "file" ? 0 : node.entries().reduce((n, [, child]) => n + 1 + countView(child), 0)

/** Files and directories below `dir`, counted through the public API. */
const countTree = (dir: string): Effect.Effect<number, unknown, Sysfs.Sysfs> =>
  Effect.gen(function*() {
    const fs = yield* Sysfs.Sysfs
    let n = 0
    for (const name of yield* fs.list(dir)) {
      const path = dir === "" ? name : `${dir}/${name}`
      n += 1
      if ((yield* fs.stat(path)).kind === "dir") n += yield* countTree(path)
    }
    return n
  })

const limited = (limits: Partial<TreeLimits>) => sysfsLayer({ limits })

/** The failure of a write: errno, reason and message. */
const refusal = (path: string, text: string) =>
  Effect.map(Effect.flip(write(path, text)), (e) => ({ errno: e.errno, tag: e.reason._tag, message: e.message }))

/** The whole tree as one string: every file's path and content. */
const snapshot = Effect.flatMap(Sysfs.Sysfs, (fs) => Effect.map(fs.dump(""), (d) => d.map(([p, t]) => `${p}=${t}`).join("")))

/** A cheaper snapshot for large trees: the count file written and its directory's entries. */
const nearby = (path: string) =>
  Effect.flatMap(Sysfs.Sysfs, (fs) =>
    Effect.map(
      Effect.all([fs.read(path), fs.list(path.slice(0, path.lastIndexOf("/")))]),
      ([text, names]) => `${text}${names.join(",")}`
    ))

/**
 * Asserts that `path <- text` fails ENOMEM naming `words`, and that the tree is unchanged: the
 * whole of it, or (`large`) the count file and its directory.
 */
const refusedUnchanged = (path: string, text: string, words: string, large = false) =>
  Effect.gen(function*() {
    const look = large ? nearby(path) : snapshot
    const before = yield* look
    const e = yield* refusal(path, text)
    assert.deepStrictEqual([e.errno, e.tag], ["ENOMEM", "OutOfMemory"], path)
    assert.include(e.message, path)
    assert.include(e.message, words)
    assert.isTrue((yield* look) === before, `${path}: the tree changed`)
  })

/** A seeded random tree of records, with every kind of numbered directory and path text. */
const randomRoot = (seed: number): TreeState.AdminRoot => {
  const rng = Rng.makeRng(seed)
  const n = (max: number) => rng.rand(0, max + 1)
  const text = () => ["/a", "/workload\n", "é/ü", "\uD800x", "😀"][n(4)]!
  const root = TreeState.newRoot()
  root.kdamonds = TreeState.fresh(n(3), TreeState.newKdamond)
  for (const k of root.kdamonds) {
    k.contexts = TreeState.fresh(n(1), TreeState.newContext)
    for (const c of k.contexts) {
      c.targets = TreeState.fresh(n(3), TreeState.newTarget)
      for (const t of c.targets) t.regions = TreeState.fresh(n(4), TreeState.newRegion)
      c.schemes = TreeState.fresh(n(3), TreeState.newScheme)
      for (const s of c.schemes) {
        for (const fs of [s.filters, s.coreFilters, s.opsFilters]) {
          fs.items = TreeState.fresh(n(2), TreeState.newFilter)
          for (const f of fs.items) if (n(1) === 1) f.memcgPath = text()
        }
        s.quotas.goals = TreeState.fresh(n(2), TreeState.newGoal)
        for (const g of s.quotas.goals) if (n(1) === 1) g.path = text()
        s.dests = TreeState.fresh(n(2), TreeState.newDest)
        s.triedRegions.regions = TreeState.fresh(n(3), () => ({ start: 0n, end: 4096n, nrAccesses: 1, age: 2, szFilterPassed: 0n }))
      }
    }
  }
  return root
}

describe("Limits", () => {
  it("the accounting equals the file view: entries, listed directories, path bytes (200 seeded trees)", () => {
    const encoder = new TextEncoder()
    for (let seed = 1; seed <= 200; seed++) {
      const root = randomRoot(seed)
      const size = rootSize(root)
      assert.strictEqual(size.entries, countView(adminDir({ registeredOps: ["vaddr"] }, root)), `seed ${seed}`)
      const schemes = root.kdamonds.flatMap((k) => k.contexts.flatMap((c) => c.schemes))
      assert.strictEqual(size.listed, root.kdamonds.length + schemes.length, `seed ${seed}`)
      const paths = schemes.flatMap((s) => [
        ...[s.filters, s.coreFilters, s.opsFilters].flatMap((fs) => fs.items.map((f) => f.memcgPath)),
        ...s.quotas.goals.map((g) => g.path)
      ])
      const bytes = paths.reduce((b, p) => b + (p === null ? 0 : encoder.encode(p).length), 0)
      assert.strictEqual(size.pathBytes, bytes, `seed ${seed}`)
    }
  })

  it.effect("files and directories: at the limit accepted, one past refused with ENOMEM, nothing changed", () =>
    Effect.gen(function*() {
      // kdamonds/ + nr_kdamonds (2), a kdamond (6), a context (21), a target (5): 34.
      yield* writeAll([["kdamonds/nr_kdamonds", "1"], ["kdamonds/0/contexts/nr_contexts", "1"], [`${CTX}/targets/nr_targets`, "1"]])
      assert.strictEqual(yield* countTree(""), 34)
      // Each region is 3 entries: 100 of them fill the limit exactly.
      yield* write(`${CTX}/targets/0/regions/nr_regions`, "100")
      assert.strictEqual(yield* countTree(""), 334)
      yield* refusedUnchanged(`${CTX}/targets/0/regions/nr_regions`, "101", "337 files and directories (limit 334)")
      yield* refusedUnchanged(`${CTX}/schemes/nr_schemes`, "1", "385 files and directories (limit 334)")
      // Shrinking is always allowed, and frees room.
      yield* write(`${CTX}/targets/0/regions/nr_regions`, "99")
      yield* write(`${CTX}/targets/0/regions/nr_regions`, "0")
      yield* write(`${CTX}/schemes/nr_schemes`, "1")
      assert.strictEqual(yield* countTree(""), 85)
    }).pipe(Effect.provide(limited({ maxEntries: 334 }))))

  it.effect("kdamond and scheme directories (a scrape's rows): at the limit accepted, one past refused", () =>
    Effect.gen(function*() {
      yield* writeAll([["kdamonds/nr_kdamonds", "1"], ["kdamonds/0/contexts/nr_contexts", "1"]])
      yield* write(`${CTX}/schemes/nr_schemes`, "4")
      yield* refusedUnchanged(`${CTX}/schemes/nr_schemes`, "5", "6 kdamond and scheme directories (limit 5)")
      yield* write("kdamonds/nr_kdamonds", "5")
      yield* refusedUnchanged("kdamonds/nr_kdamonds", "6", "limit 5")
    }).pipe(Effect.provide(limited({ maxListedDirs: 5 }))))

  it.effect("schemes a running kdamond was given count until it stops, though its tree has fewer", () =>
    Effect.gen(function*() {
      yield* write("kdamonds/nr_kdamonds", "2")
      yield* writeAll([
        ["kdamonds/0/contexts/nr_contexts", "1"],
        [`${CTX}/targets/nr_targets`, "1"],
        [`${CTX}/targets/0/pid_target`, "42"],
        [`${CTX}/schemes/nr_schemes`, "3"],
        ["kdamonds/0/state", "on"],
        [`${CTX}/schemes/nr_schemes`, "0"],
        ["kdamonds/1/contexts/nr_contexts", "1"]
      ])
      // 2 kdamonds + 3 running schemes + 2 would be 7.
      yield* refusedUnchanged("kdamonds/1/contexts/0/schemes/nr_schemes", "2", "limit 6")
      yield* write("kdamonds/1/contexts/0/schemes/nr_schemes", "1")
      yield* write("kdamonds/0/state", "off")
      yield* write("kdamonds/1/contexts/0/schemes/nr_schemes", "4")
      yield* refusedUnchanged("kdamonds/1/contexts/0/schemes/nr_schemes", "5", "limit 6")
    }).pipe(Effect.provide(limited({ maxListedDirs: 6 }))))

  it.effect("path bytes (UTF-8): at the limit accepted, one past refused; rewriting a path counts the difference", () =>
    Effect.gen(function*() {
      yield* writeAll([["kdamonds/nr_kdamonds", "1"], ["kdamonds/0/contexts/nr_contexts", "1"], [`${CTX}/schemes/nr_schemes`, "1"]])
      yield* writeAll([[`${S0}/filters/nr_filters`, "2"], [`${S0}/quotas/goals/nr_goals`, "1"]])
      yield* write(`${S0}/filters/0/memcg_path`, "a".repeat(60))
      yield* write(`${S0}/quotas/goals/0/path`, "é".repeat(20))
      yield* refusedUnchanged(`${S0}/filters/1/memcg_path`, "b", "101 bytes (limit 100)")
      yield* write(`${S0}/filters/0/memcg_path`, "a".repeat(59))
      yield* write(`${S0}/filters/1/memcg_path`, "b")
      // nr_filters frees the paths of the filters it replaces.
      yield* write(`${S0}/filters/nr_filters`, "1")
      yield* write(`${S0}/filters/0/memcg_path`, "c".repeat(60))
      yield* refusedUnchanged(`${S0}/filters/0/memcg_path`, "c".repeat(61), "limit 100")
    }).pipe(Effect.provide(limited({ maxPathBytes: 100 }))))

  it.effect("defaults: nr_* at 65536 and one past; the issue's nr_filters 65536 in scheme after scheme; 4096 kdamonds", () =>
    Effect.gen(function*() {
      assert.strictEqual(MAX_NR_DIRS, 65536)
      yield* write("kdamonds/nr_kdamonds", String(defaultLimits.maxListedDirs))
      yield* refusedUnchanged("kdamonds/nr_kdamonds", String(defaultLimits.maxListedDirs + 1), "limit 4096", true)
      yield* writeAll([["kdamonds/nr_kdamonds", "1"], ["kdamonds/0/contexts/nr_contexts", "1"], [`${CTX}/targets/nr_targets`, "1"]])
      yield* write(`${CTX}/targets/0/regions/nr_regions`, "65536")
      yield* refusedUnchanged(`${CTX}/targets/0/regions/nr_regions`, "65537", "more than 65536 directories", true)
      yield* write(`${CTX}/targets/0/regions/nr_regions`, "0")
      yield* write(`${CTX}/schemes/nr_schemes`, "4")
      yield* write(`${CTX}/schemes/0/filters/nr_filters`, "65536")
      // 655 360 entries for the first; a second would pass 2^20.
      yield* refusedUnchanged(`${CTX}/schemes/1/filters/nr_filters`, "65536", "limit 1048576", true)
      yield* write(`${CTX}/schemes/1/filters/nr_filters`, "30000")
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("tried regions that do not fit: ENOMEM, the directories left cleared; tried bytes still work", () =>
    Effect.gen(function*() {
      yield* setupVaddr(1)
      // 2 + 6 + 21 + 5 + 51; room for two tried regions, and a walk tries at least 10.
      assert.strictEqual(yield* countTree(""), 85)
      yield* write("kdamonds/0/state", "on")
      yield* TestClock.adjust("200 millis")
      const walk = yield* Effect.forkChild(Effect.flip(write("kdamonds/0/state", "update_schemes_tried_regions")), {
        startImmediately: true
      })
      yield* TestClock.adjust("200 millis")
      const e = yield* Fiber.join(walk)
      assert.deepStrictEqual([e.errno, e.reason._tag], ["ENOMEM", "OutOfMemory"])
      assert.include(e.message, "the tried regions do not fit")
      assert.strictEqual(yield* countTree(""), 85)
      assert.strictEqual(yield* read(`${S0}/tried_regions/total_bytes`), "0\n")
      const bytes = yield* Effect.forkChild(write("kdamonds/0/state", "update_schemes_tried_bytes"), { startImmediately: true })
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(bytes)
      assert.isAbove(Number((yield* read(`${S0}/tried_regions/total_bytes`)).trim()), 0)
    }).pipe(Effect.provide(limited({ maxEntries: 85 + 12 }))))

  it.effect("writeConfig that does not fit: ENOMEM naming the limit, nothing written", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* write("kdamonds/nr_kdamonds", "1")
      const before = yield* snapshot
      const targets = Array.from({ length: 40 }, (_, i) => ({ pid: i + 1 }))
      const e = yield* Effect.flip(fs.writeConfig(0, { ops: "vaddr", targets }))
      assert.deepStrictEqual([e.errno, e.reason._tag], ["ENOMEM", "OutOfMemory"])
      assert.include(e.message, "limit 200")
      assert.strictEqual(yield* snapshot, before)
      yield* fs.writeConfig(0, { ops: "vaddr", targets: targets.slice(0, 30) })
      assert.strictEqual(yield* read(`${CTX}/targets/nr_targets`), "30\n")
    }).pipe(Effect.provide(limited({ maxEntries: 200 }))))

  it.effect("dump: every file with what read shows, in list order; a file alone; ENOENT outside", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setupVaddr(1)
      yield* writeAll([...matchAll(S0), [`${S0}/filters/nr_filters`, "1"], [`${S0}/filters/0/memcg_path`, "/x"]])
      const all = yield* fs.dump("")
      const expected: Array<readonly [string, string]> = []
      const walk = (dir: string): Effect.Effect<void, unknown, Sysfs.Sysfs> =>
        Effect.gen(function*() {
          for (const name of yield* fs.list(dir)) {
            const path = dir === "" ? name : `${dir}/${name}`
            if ((yield* fs.stat(path)).kind === "dir") yield* walk(path)
            else expected.push([path, yield* fs.read(path)])
          }
        })
      yield* walk("")
      assert.deepStrictEqual(all, expected)
      assert.deepStrictEqual(yield* fs.dump(`${S0}/action`), [[`${S0}/action`, "stat\n"]])
      assert.deepStrictEqual((yield* fs.dump(`${S0}/stats`)).map(([p]) => p.slice(S0.length + 1)).slice(0, 2), [
        "stats/nr_tried",
        "stats/sz_tried"
      ])
      assert.strictEqual(yield* errnoOf(fs.dump("nope")), "ENOENT")
    }).pipe(Effect.provide(sysfsLayer())))
})
