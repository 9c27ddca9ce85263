import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["development"] },
  test: {
    include: ["spec/**/*.test.ts"],
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
