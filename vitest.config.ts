import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["development"] },
  test: {
    include: ["spec/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
