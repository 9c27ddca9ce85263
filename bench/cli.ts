/**
 * CLI benchmarks: `effect-damon record` of masim `stairs` (60 s of virtual time, damo's default
 * intervals) measured in-process, from the command's start to its file written
 * (`cli.recordMsPerVirtualMinute`); and the peak resident memory of a whole `effect-damon
 * record` process recording 10 minutes of virtual time at 1000 regions
 * (`cli.peakRssMiB`, with the young-generation size `bin/effect-damon.js` gives long commands),
 * bounded because the recorder paces the kdamond and the writer streams. Run as `node
 * bench/cli.ts --child <args>`, this file is that child process.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { runCli } from "../src/cli/CliRun.ts"
import { type Bench, median, timeRuns } from "./Harness.ts"

const here = fileURLToPath(import.meta.url)

const record = (argv: ReadonlyArray<string>): Promise<number> =>
  Effect.runPromise(runCli(["record", ...argv]).pipe(Effect.provide(NodeServices.layer)))

if (process.argv[2] === "--child") {
  const code = await record(process.argv.slice(3))
  process.stdout.write(`${JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS })}\n`)
}

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
      const child = execFileSync(
        process.execPath,
        // the flag bin/effect-damon.js runs long commands with
        ["--max-semi-space-size=4", "--conditions=development", here, "--child", "--workload", "stairs", "--duration", "10m", "--monitoring_nr_regions_range", "1000", "1000", "-o", long],
        { encoding: "utf8", env: { ...process.env, EFFECT_DAMON_PROGRESS: "never" } }
      )
      const { code, maxRssKiB } = JSON.parse(child.trim().split("\n").pop()!) as { code: number; maxRssKiB: number }
      if (code !== 0) throw new Error(`10-minute record failed: ${code}`)
      return {
        "cli.recordMsPerVirtualMinute": {
          value: median(times),
          unit: "ms",
          goal: "<= 500",
          note: "in-process `record --workload stairs --duration 60s` (default intervals, json_compressed), median of 5 after a warm-up"
        },
        "cli.peakRssMiB": {
          value: maxRssKiB / 1024,
          unit: "MiB",
          goal: "<= 200",
          note: `peak RSS of a process recording 10 min virtual of stairs at 1000 regions (${(statSync(long).size / 2 ** 20).toFixed(1)} MiB file)`
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
