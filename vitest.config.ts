import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"
import { trimCompileCache } from "./spec/support/compileCacheTrim.ts"
import { sequenceFor } from "./spec/support/heavyFirstSequencer.ts"

// Node's compile cache (V8 code and stripped TypeScript, keyed by content) for everything the
// tests start: the workers, the HTTP worker threads, the CLI processes. The directory is the one
// `module.enableCompileCache()` uses, so the bin's own starts share it. A CLI process or HTTP
// worker thread costs about half the CPU with it (docs/performance.md, "Test suite").
process.env["NODE_COMPILE_CACHE"] ??= join(tmpdir(), "node-compile-cache")
// Node never removes an entry; each run adds some it will not use again (spec/support/compileCacheTrim.ts).
trimCompileCache(process.env["NODE_COMPILE_CACHE"], 10_000)

export default defineConfig({
  resolve: { conditions: ["development"] },
  test: {
    // Node's own `import` in the workers (type stripping, the compile cache above), not Vite's
    // module runner: no transform in the main process, modules evaluated as Node evaluates them
    // in production. `--conditions=development` is then what picks `src/` for `effect-damon`.
    // Some 3-4 s of CPU and more of wall time less (docs/performance.md, "Test suite").
    execArgv: ["--conditions=development"],
    experimental: { viteModuleRunner: false },
    include: ["spec/**/*.test.ts"],
    // the heaviest files first when vitest has no timings of its own (a clean clone), so that no
    // long file starts last on one core while the other waits (spec/support/heavyFirstSequencer.ts);
    // not when the run asks for a shuffle
    sequence: sequenceFor(process.argv),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One module evaluation per worker, not per file: with isolation every file re-evaluated
    // Effect and the sources it imports (27 % of the suite's time, some 130 s of CPU). The
    // library keeps no module state a test could see (no module-level mutable state outside
    // WeakMap memos and the HTTP worker thread's own tables); a file's own top-level state is
    // still fresh, since every test file is evaluated anew. docs/performance.md, "Test suite".
    isolate: false,
    // Every core (vitest leaves one free by default: one worker on a 2-core machine); the
    // subprocess tests wait on their children much of the time.
    maxWorkers: availableParallelism()
  }
})
