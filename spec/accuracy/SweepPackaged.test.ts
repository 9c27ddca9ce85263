/**
 * The built package's sweep: the library compiled as `npm run build` compiles it (into a
 * temporary directory), and a sweep on one worker thread from it, in a fresh process without the
 * development condition, gives what the sources give. Its worker program is the compiled
 * `SweepWorker.js`, which loads `./Sweep.js`: what this checks is that the sources' `.ts`
 * specifiers (the worker's URL, its dynamic import) work once compiled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Sweep } from "effect-damon/accuracy"
import { execFileSync, spawnSync } from "node:child_process"
import { symlinkSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { testTempDir } from "../support/tempDir.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc")

const options: Sweep.SweepOptions = {
  workload: { kind: "masim", name: "stairs" },
  grid: { maxNrRegions: [20, 100] },
  durationUs: 2_000_000
}

describe("the built package", () => {
  it.live("runs a sweep on a worker thread from dist/, with the sources' results", () =>
    Effect.gen(function*() {
      const tmp = testTempDir("effect-damon-dist-")
      // the build's JavaScript, without its type check (the suite's first step), declarations or
      // source maps: a second instead of two
      execFileSync(
        process.execPath,
        [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(tmp, "dist"), "--noCheck", "--declaration", "false", "--sourceMap", "false"],
        { stdio: "pipe" }
      )
      // laid out as the package ships (`files`: dist, data), finding its dependencies as an
      // installed package's would
      symlinkSync(join(root, "data"), join(tmp, "data"), "dir")
      symlinkSync(join(root, "node_modules"), join(tmp, "node_modules"), "dir")
      writeFileSync(join(tmp, "package.json"), JSON.stringify({ type: "module" }))
      const program = join(tmp, "sweep.js")
      // a program of its own (its edge runs the effect), as a user of the package writes one
      writeFileSync(
        program,
        `import { Effect } from "effect"
        import { Sweep } from "./dist/accuracy/index.js"
        const r = await Effect.runPromise(Sweep.run({ ...${JSON.stringify(options)}, workers: 1 }))
        console.log(JSON.stringify({ workers: r.workers, points: r.points }))`
      )
      const run = spawnSync(process.execPath, [program], { cwd: tmp, encoding: "utf8" })
      assert.strictEqual(run.status, 0, run.stderr)
      const packaged = JSON.parse(run.stdout) as { workers: number; points: ReadonlyArray<Sweep.SweepPoint> }
      assert.strictEqual(packaged.workers, 1)
      const sources = yield* Sweep.run({ ...options, workers: 0 })
      assert.strictEqual(packaged.points.length, 2)
      assert.deepStrictEqual(packaged.points, JSON.parse(JSON.stringify(sources.points)))
    }), 120_000)
})
