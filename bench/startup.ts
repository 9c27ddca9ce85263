/**
 * Startup benchmarks (the "one world" issue): the cost of `import("effect-damon")` in a fresh
 * process, side by side with importing the same `effect` modules alone (the floor a library on
 * Effect cannot go under), and the wall time of `effect-damon --version`. The import uses the
 * built package (`dist/`, what users of the package get), built afresh first (a stale `dist/` would
 * measure old code); the command
 * runs as from a clone (`bin/effect-damon.js` runs the sources, with Node's compile cache).
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type Bench, median, nowMs } from "./Harness.ts"

const root = fileURLToPath(new URL("..", import.meta.url))

/** Milliseconds one fresh process spends importing `specifiers` (measured inside it). */
const importMs = (specifiers: ReadonlyArray<string>): number => {
  const script = `const t0 = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); ` +
    `process.stdout.write(String(performance.now() - t0))`
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }))
}

/** The `effect` modules the main entry point loads (value imports of `src/`), as one list. */
const effectModulesOfMain = (): ReadonlyArray<string> => {
  const script = `import { registerHooks } from "node:module"; const seen = new Set();
registerHooks({ resolve(s, c, next) { const r = next(s, c); if (r.url.includes("/node_modules/effect/dist/") && !c.parentURL?.includes("/node_modules/effect/")) seen.add(s); return r } });
await import("effect-damon"); process.stdout.write(JSON.stringify([...seen]))`
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })) as Array<string>
}

export const startupBench: Bench = {
  name: "startup",
  run: async () => {
    execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" })
    const effectModules = effectModulesOfMain()
    const ours: Array<number> = []
    const floor: Array<number> = []
    for (let i = 0; i < 5; i++) {
      ours.push(importMs(["effect-damon"]))
      floor.push(importMs(effectModules))
    }
    const version: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const t0 = nowMs()
      execFileSync(process.execPath, [`${root}/bin/effect-damon.js`, "--version"], { cwd: root, encoding: "utf8" })
      version.push(nowMs() - t0)
    }
    return {
      "startup.importMs": {
        value: median(ours),
        unit: "ms",
        goal: "<= 150",
        note: "cold import(\"effect-damon\") of dist/ in a fresh process, median of 5"
      },
      "startup.effectFloorMs": {
        value: median(floor),
        unit: "ms",
        note: `importing only the ${effectModules.length} effect modules the entry point loads, same processes' conditions, median of 5`
      },
      "cli.versionMs": {
        value: median(version),
        unit: "ms",
        goal: "<= 300",
        note: "wall time of `node bin/effect-damon.js --version` from the clone (process start included), median of 5"
      }
    }
  }
}
