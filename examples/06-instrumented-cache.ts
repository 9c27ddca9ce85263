/**
 * A cache that keeps its hot entries in memory and writes cold ones to disk, driven by DAMON:
 * the cache marks each entry it serves in instrumented memory (one byte store), a kdamond watches
 * that memory, and a pageout scheme's actions come back as `Evict` events the cache handles by
 * writing the entries to a swap file. The hot keys move every 3 s; the hit rate dips, then the
 * cache settles again. Run: `node --conditions=development examples/06-instrumented-cache.ts`.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { Damon, Rng, World } from "effect-damon"
import { Instrumented } from "effect-damon/accuracy"

const ENTRY = 4096 // one entry per page
const ENTRIES = 4096 // 16 MiB of values
const HOT = 256 // hot keys at a time
const MiB = 2 ** 20

/** A swap file in a temporary directory, removed at the end. */
const swapFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "effect-damon-cache-"))
    return { dir, fd: openSync(join(dir, "swap"), "w+") }
  }),
  ({ dir, fd }) => Effect.sync(() => {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  })
)

export const main = Effect.gen(function*() {
  const memory = yield* Instrumented.InstrumentedMemory
  const arena = yield* memory.allocate("cache", ENTRIES * ENTRY)
  const world = yield* World.WorldClock
  const { fd } = yield* swapFile
  const values = new Uint8Array(ENTRIES * ENTRY) // the entries' bytes while in memory
  const resident = new Uint8Array(ENTRIES).fill(1)
  const onDisk = new Uint8Array(ENTRIES) // the entries are read-only: written once, dropped later
  let inMemory = ENTRIES
  let hits = 0
  let misses = 0
  let written = 0

  // DAMON watches the arena; idle for 1 s (10 aggregations) = cold: evict.
  const damon = yield* Damon.Damon
  yield* damon.start({
    ops: "fvaddr",
    targets: [{ pid: memory.pid, regions: memory.ranges() }],
    schemes: [{ action: "pageout", pattern: { maxNrAccesses: 0, minAgeRegion: 10 } }]
  }, { seed: 1 })

  const evict = (first: number, end: number): void => {
    for (let k = first; k < end; k++) {
      if (resident[k] === 0) continue
      if (onDisk[k] === 0) {
        writeSync(fd, values, k * ENTRY, ENTRY, k * ENTRY)
        onDisk[k] = 1
        written++
      }
      resident[k] = 0
      inMemory--
    }
  }
  const get = (key: number): void => {
    arena.markPage(key)
    if (resident[key] === 1) {
      hits++
      return
    }
    misses++
    readSync(fd, values, key * ENTRY, ENTRY, key * ENTRY)
    resident[key] = 1
    inMemory++
  }

  // the cache takes part in world time: time waits for each of its steps
  const clock = world.join()
  const rng = Rng.makeRng(7)
  yield* Console.log(` 0 s  ${ENTRIES} entries, all in memory: ${((ENTRIES * ENTRY) / MiB).toFixed(1)} MiB`)
  for (let second = 1; second <= 8; second++) {
    hits = 0
    misses = 0
    for (let ms = 0; ms < 1000; ms++) {
      // the hot keys move every 3 s; one request in fifty is for any key
      const hotBase = (Math.floor((second - 1) / 3) * 1031) % (ENTRIES - HOT)
      for (let i = 0; i < 50; i++) get(rng.float() < 0.98 ? hotBase + rng.rand(0, HOT) : rng.rand(0, ENTRIES))
      for (const event of yield* memory.drainEvents) if (event._tag === "Evict") evict(event.firstPage, event.endPage)
      yield* clock.sleepUntil(world.nowUs() + 1000)
    }
    const rate = (hits * 100) / (hits + misses)
    yield* Console.log(
      `${String(second).padStart(2)} s  hit rate ${rate.toFixed(1).padStart(5)} %  in memory ${((inMemory * ENTRY) / MiB).toFixed(1).padStart(4)} MiB` +
        `  on disk ${(((ENTRIES - inMemory) * ENTRY) / MiB).toFixed(1).padStart(4)} MiB`
    )
  }
  clock.leave()
  yield* Console.log(`wrote ${written} of ${ENTRIES} entries to disk`)
}).pipe(
  Effect.scoped,
  Effect.provide(Damon.layer.pipe(
    Layer.provide(Instrumented.opsLayer),
    Layer.provideMerge(Instrumented.layer()),
    Layer.provideMerge(World.layerVirtual)
  ))
)

if (import.meta.main) NodeRuntime.runMain(main)
