import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { trimCompileCache } from "./compileCacheTrim.ts"
import { testTempDir } from "./tempDir.ts"

describe("trimCompileCache", () => {
  it("removes the least recently used entries of a subdirectory over the limit, down to half of it; leaves the others", () => {
    const dir = testTempDir("compile-cache-")
    const full = join(dir, "v24-full")
    const small = join(dir, "v24-small")
    mkdirSync(full)
    mkdirSync(small)
    for (let i = 0; i < 30; i++) {
      writeFileSync(join(full, `e${i}`), "x")
      // entry i written and last read at second 1000 + i: e0 is the least recently used
      utimesSync(join(full, `e${i}`), 1000 + i, 1000 + i)
    }
    // written first, but read last: kept
    utimesSync(join(full, "e0"), 5000, 1000)
    for (let i = 0; i < 5; i++) writeFileSync(join(small, `e${i}`), "x")
    writeFileSync(join(dir, "not-a-directory"), "x")
    assert.strictEqual(trimCompileCache(dir, 20), 20)
    assert.deepStrictEqual(readdirSync(full).sort(), ["e0", ...Array.from({ length: 9 }, (_, i) => `e${21 + i}`)].sort())
    assert.strictEqual(readdirSync(small).length, 5)
    assert.strictEqual(trimCompileCache(dir, 20), 0, "nothing over the limit any more")
  })

  it("a cache that does not exist is empty", () => {
    assert.strictEqual(trimCompileCache(join(testTempDir("compile-cache-"), "missing"), 20), 0)
  })
})
