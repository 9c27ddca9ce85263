/**
 * A sweep's worker thread turns on Node's compile cache before it loads the library (the cache
 * turned on in the main thread does not reach worker threads), unless Node is told not to. Run
 * in a fresh process: the suite sets `NODE_COMPILE_CACHE` for the processes it starts, which
 * would turn the cache on whatever the worker does. The cache goes where Node puts it by
 * default, under the process's temporary directory, here a fresh one.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const sweepModule = new URL("../../src/accuracy/Sweep.ts", import.meta.url).href
const effectModule = import.meta.resolve("effect/Effect")

/** Runs a one-setting sweep on one worker in a fresh process; returns the files its cache holds (`null`: no cache directory). */
const sweepInFreshProcess = (extraEnv: Record<string, string>): ReadonlyArray<string> | null => {
  const tmp = mkdtempSync(join(tmpdir(), "effect-damon-sweep-cache-"))
  try {
    const env: Record<string, string | undefined> = { ...process.env, TMPDIR: tmp, ...extraEnv }
    delete env["NODE_COMPILE_CACHE"]
    if (extraEnv["NODE_DISABLE_COMPILE_CACHE"] === undefined) delete env["NODE_DISABLE_COMPILE_CACHE"]
    const script = `
      const Effect = await import(${JSON.stringify(effectModule)})
      const Sweep = await import(${JSON.stringify(sweepModule)})
      const r = await Effect.runPromise(Sweep.run({ workload: { kind: "masim", name: "stairs" }, grid: { maxNrRegions: [20] }, durationUs: 500_000, workers: 1 }))
      console.log(r.points.length)`
    // a file, not `-e`: worker threads inherit the process's flags, and `--input-type` fails them
    const program = join(tmp, "sweep.mjs")
    writeFileSync(program, script)
    const run = spawnSync(process.execPath, ["--conditions=development", program], { env, encoding: "utf8" })
    assert.strictEqual(run.status, 0, run.stderr)
    assert.strictEqual(run.stdout.trim(), "1", "the sweep ran its one setting")
    const cache = join(tmp, "node-compile-cache")
    return existsSync(cache) ? readdirSync(cache, { recursive: true }).map(String) : null
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

describe("SweepWorker", () => {
  it("turns on Node's compile cache in its thread, in the default directory", () => {
    const files = sweepInFreshProcess({})
    assert.isNotNull(files, "no compile cache directory under TMPDIR")
    assert.isAbove(files!.length, 0, "the compile cache directory is empty")
  }, 60_000)

  it("leaves it off when NODE_DISABLE_COMPILE_CACHE is set", () => {
    assert.isNull(sweepInFreshProcess({ NODE_DISABLE_COMPILE_CACHE: "1" }))
  }, 60_000)
})
