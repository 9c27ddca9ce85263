import { assert, describe, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { HeavyFirstSequencer, heaviestFiles, orderFiles, sequenceFor } from "./heavyFirstSequencer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))

describe("the heavy-first order of test files", () => {
  it("every listed file exists (a renamed or removed file is taken off the list)", () => {
    for (const f of heaviestFiles) assert.isTrue(existsSync(`${root}${f}`), f)
  })

  it("without vitest's timings, the listed files first in their order, the others after in the order given", () => {
    const files = ["spec/a.test.ts", heaviestFiles[2]!, "spec/b.test.ts", heaviestFiles[0]!, "spec/c.test.ts"]
    assert.deepStrictEqual(orderFiles(files, (f) => f, false), [heaviestFiles[0], heaviestFiles[2], "spec/a.test.ts", "spec/b.test.ts", "spec/c.test.ts"])
  })

  it("with vitest's timings for every file, vitest's order", () => {
    const files = ["spec/a.test.ts", heaviestFiles[2]!, heaviestFiles[0]!]
    assert.deepStrictEqual(orderFiles(files, (f) => f, true), files)
  })

  it("the sequencer for a plain run; none when the run asks for a shuffle (vitest's random order then)", () => {
    assert.strictEqual(sequenceFor(["node", "vitest", "run"]).sequencer, HeavyFirstSequencer)
    for (const flag of ["--sequence.shuffle", "--sequence.shuffle.files", "--sequence.shuffle.tests=true"]) {
      assert.isUndefined(sequenceFor(["node", "vitest", "run", flag]).sequencer, flag)
    }
  })
})
