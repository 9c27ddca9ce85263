/**
 * CLI benchmarks: `effect-damon record` of masim `stairs` (60 s of virtual time, damo's default
 * intervals) measured in-process, from the command's start to its file written
 * (`cli.recordMsPerVirtualMinute`); and the peak resident memory of the `effect-damon record`
 * process a user runs (`bin/effect-damon.js` from the clone, which runs long commands in a
 * child with a small young generation), recording 10 minutes of virtual time at 1000 regions
 * (`cli.peakRssMiB`), bounded because the recorder paces the kdamond and the writer streams.
 * The peak is the process's `VmHWM` (Linux), read from `/proc` while it runs: a high-water mark,
 * so the last reading before it exits is its peak up to that moment.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCli } from "../src/cli/CliRun.ts"
import { type Bench, median, timeRuns } from "./Harness.ts"

const bin = fileURLToPath(new URL("../bin/effect-damon.js", import.meta.url))

const record = (argv: ReadonlyArray<string>): Promise<number> =>
  Effect.runPromise(runCli(["record", ...argv]).pipe(Effect.provide(NodeServices.layer)))

/** `VmHWM` of process `pid` in KiB, or 0 once it is gone. */
const highWaterKiB = (pid: number): number => {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

/**
 * Runs the bin with `args` as a user would, with the heap flag it gives long commands already set
 * (so it records in this one process instead of spawning another), and resolves with its exit
 * code and peak resident memory.
 */
const peakOfBin = (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly peakKiB: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-semi-space-size=4", bin, ...args], {
      stdio: "ignore",
      env: { ...process.env, EFFECT_DAMON_PROGRESS: "never" }
    })
    let peakKiB = 0
    const poll = setInterval(() => {
      peakKiB = Math.max(peakKiB, highWaterKiB(child.pid!))
    }, 20)
    child.on("error", reject)
    child.on("exit", (code) => {
      clearInterval(poll)
      resolve({ code, peakKiB })
    })
  })

export const cliBench: Bench = {
  name: "cli",
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), "effect-damon-bench-"))
    try {
      const out = join(dir, "stairs.data")
      const quiet = console.log
      console.log = () => {}
      let times: Array<number>
      try {
        times = await timeRuns(5, 1, async () => {
          const code = await record(["--workload", "stairs", "--duration", "60s", "-o", out])
          if (code !== 0) throw new Error(`record failed: ${code}`)
        })
      } finally {
        console.log = quiet
      }
      const long = join(dir, "long.data")
      const { code, peakKiB } = await peakOfBin(["record", "--workload", "stairs", "--duration", "10m", "--monitoring_nr_regions_range", "1000", "1000", "-o", long])
      if (code !== 0) throw new Error(`10-minute record failed: ${code}`)
      return {
        "cli.recordMsPerVirtualMinute": {
          value: median(times),
          unit: "ms",
          goal: "<= 500",
          note: "in-process `record --workload stairs --duration 60s` (default intervals, json_compressed), median of 5 after a warm-up"
        },
        "cli.peakRssMiB": {
          value: peakKiB / 1024,
          unit: "MiB",
          goal: "<= 200",
          note: `peak RSS (VmHWM) of \`effect-damon record\` from the clone, 10 min virtual of stairs at 1000 regions (${(statSync(long).size / 2 ** 20).toFixed(1)} MiB file)`
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
