/**
 * The test set Stryker runs against each mutant of `src/engine/` (`npm run mutation`): the engine's
 * own suites and the testing kit's (which drive the engine through every control operation).
 */
import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["development"] },
  test: {
    include: ["spec/engine/**/*.test.ts", "spec/testing/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
