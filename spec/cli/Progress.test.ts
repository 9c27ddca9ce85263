import { assert, describe, it } from "@effect/vitest"
import { formatProgress } from "../../src/cli/Progress.ts"

describe("progress line", () => {
  it("shows the bar, the share done, what was done, the elapsed time and an ETA from the rate so far", () => {
    assert.strictEqual(
      formatProgress(0.25, 3000, "15.0 of 60.0 s virtual", 8),
      "[##......]  25%  15.0 of 60.0 s virtual  elapsed 3.0 s, ETA 9.0 s"
    )
    assert.strictEqual(formatProgress(1, 42_000, "done", 4), "[####] 100%  done  elapsed 42 s, ETA 0.0 s")
    // nothing done yet: no ETA; out-of-range fractions are clamped
    assert.strictEqual(formatProgress(0, 2500, "starting", 4), "[....]   0%  starting  elapsed 2.5 s, ETA ?")
    assert.strictEqual(formatProgress(1.7, 1000, "x", 2), "[##] 100%  x  elapsed 1.0 s, ETA 0.0 s")
  })
})
