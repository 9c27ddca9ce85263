import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { trimCompileCache } from "./compileCacheTrim.ts"
import { testTempDir } from "./tempDir.ts"

const uid = process.getuid?.() ?? 0
/** Entry `i` as Node names its entries (8 hex digits). */
const entry = (i: number) => i.toString(16).padStart(8, "0")

describe("trimCompileCache", () => {
  it("removes the least recently used entries of a subdirectory over the limit, down to half of it; leaves the others", () => {
    const dir = testTempDir("compile-cache-")
    const full = join(dir, `v24.21.0-x64-964aae3f-${uid}`)
    const small = join(dir, `v24.21.0-x64-0ed0f946-${uid}`)
    mkdirSync(full)
    mkdirSync(small)
    for (let i = 0; i < 30; i++) {
      writeFileSync(join(full, entry(i)), "x")
      // entry i written and last read at second 1000 + i: entry 0 is the least recently used
      utimesSync(join(full, entry(i)), 1000 + i, 1000 + i)
    }
    // written first, but read last: kept
    utimesSync(join(full, entry(0)), 5000, 1000)
    for (let i = 0; i < 5; i++) writeFileSync(join(small, entry(i)), "x")
    writeFileSync(join(dir, "not-a-directory"), "x")
    assert.strictEqual(trimCompileCache(dir, 20), 20)
    assert.deepStrictEqual(readdirSync(full).sort(), [entry(0), ...Array.from({ length: 9 }, (_, i) => entry(21 + i))].sort())
    assert.strictEqual(readdirSync(small).length, 5)
    assert.strictEqual(trimCompileCache(dir, 20), 0, "nothing over the limit any more")
  })

  it("leaves what Node did not make: other directories, other names, subdirectories inside a cache", () => {
    const dir = testTempDir("compile-cache-")
    const foreign = join(dir, "photos")
    const cache = join(dir, `v24.21.0-x64-964aae3f-${uid}`)
    mkdirSync(foreign)
    mkdirSync(cache)
    for (let i = 0; i < 30; i++) {
      writeFileSync(join(foreign, entry(i)), "x")
      writeFileSync(join(cache, `notes-${i}.txt`), "x")
      mkdirSync(join(cache, entry(i)))
    }
    assert.strictEqual(trimCompileCache(dir, 20), 0)
    assert.strictEqual(readdirSync(foreign).length, 30)
    assert.strictEqual(readdirSync(cache).length, 60)
  })

  it("a cache that does not exist is empty", () => {
    assert.strictEqual(trimCompileCache(join(testTempDir("compile-cache-"), "missing"), 20), 0)
  })
})
