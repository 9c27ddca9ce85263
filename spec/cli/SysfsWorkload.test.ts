/**
 * `sysfs read|write|ls` offline (an in-process tree, optionally set up from a kdamonds JSON
 * file) and `workload list|show`, through the same `runCli` the executable runs.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestConsole } from "effect/testing"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { runCli } from "../../src/cli/CliRun.ts"
import { testTempDir } from "../support/tempDir.ts"

const run = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const code = yield* runCli(argv)
    return { code, out: (yield* TestConsole.logLines).map(String).join("\n"), err: (yield* TestConsole.errorLines).map(String) }
  }).pipe(Effect.provide([NodeServices.layer, TestConsole.layer]))

describe("sysfs offline", () => {
  it.effect("ls and read show the tree after boot; write shows what the tree holds, or its error", () =>
    Effect.gen(function*() {
      const ls = yield* run(["sysfs", "ls", "kdamonds"])
      assert.deepStrictEqual([ls.code, ls.out], [0, "nr_kdamonds"])
      const write = yield* run(["sysfs", "write", "kdamonds/nr_kdamonds", "2"])
      assert.strictEqual(write.code, 0)
      assert.include(write.out, "kdamonds/nr_kdamonds: 2 (offline")
      const bad = yield* run(["sysfs", "write", "/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "many"])
      assert.strictEqual(bad.code, 1)
      assert.deepStrictEqual(bad.err.length, 1)
      assert.include(bad.err[0]!, "kdamonds/nr_kdamonds: \"many\" is invalid")
      const missing = yield* run(["sysfs", "read", "kdamonds/7/state"])
      assert.strictEqual(missing.code, 1)
      assert.strictEqual(missing.err.length, 2)
      assert.include(missing.err[1]!, "kdamonds/7/state")
    }))

  it.effect("read of a directory after --kdamonds prints every file the kdamonds JSON set", () =>
    Effect.gen(function*() {
      const file = join(testTempDir("effect-damon-sysfs-"), "kd.json")
      writeFileSync(file, JSON.stringify({
        kdamonds: [{ contexts: [{ ops: "paddr", targets: [{ regions: [{ start: "4 KiB", end: "1 GiB" }] }], schemes: [{ action: "lru_prio" }] }] }]
      }))
      const r = yield* run(["sysfs", "read", "kdamonds/0/contexts/0", "--kdamonds", file])
      assert.strictEqual(r.code, 0, r.err.join("\n"))
      assert.include(r.out, "kdamonds/0/contexts/0/operations:paddr")
      assert.include(r.out, "kdamonds/0/contexts/0/targets/0/regions/0/end:1073741824")
      assert.include(r.out, "kdamonds/0/contexts/0/schemes/0/action:lru_prio")
      // damo's default reset interval, "max" (no charge window end), as the tree holds it
      assert.match(r.out, /kdamonds\/0\/contexts\/0\/schemes\/0\/quotas\/reset_interval_ms:(18446744073709551615|9007199254740991)\n/)
    }))
})

describe("workload", () => {
  it.effect("list names every shipped workload; show previews one's phases", () =>
    Effect.gen(function*() {
      const list = yield* run(["workload", "list"])
      for (const name of ["stairs", "zigzag", "demo", "100mb"]) assert.include(list.out, name)
      const show = yield* run(["workload", "show", "stairs"])
      assert.include(show.out, "# masim workload 'stairs': 10 regions, 95.367 MiB; 11 phases, one cycle 60.0 s")
      const preview = show.out.split("\n").filter((l) => /^ {2}phase \d +\|/.test(l))
      assert.strictEqual(preview.length, 10)
      preview.forEach((l, i) => assert.strictEqual(l.slice(l.indexOf("|") + 1, l.lastIndexOf("|")).indexOf("9"), i))
    }))
})
