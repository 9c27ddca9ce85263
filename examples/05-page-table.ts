/**
 * Monitor memory a program marks itself: a 64 MiB buffer in a page table, of which the program
 * touches 8 MiB; fvaddr (vaddr on given ranges) finds the hot part. Run: `node --conditions=development examples/05-page-table.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Result } from "effect"
import { Damon, Fvaddr, OpsRegistry, PageTable, Rng, World } from "effect-damon"

const MiB = 1 << 20
const base = 0x7f00_0000_0000
const table = PageTable.make({ pid: 1 })
Result.getOrThrow(table.map(base, base + 64 * MiB))
const ops = OpsRegistry.layer({ fvaddr: Fvaddr.fvaddrOps(table.space) })
const runtime = Damon.layer.pipe(Layer.provide(ops), Layer.provideMerge(World.layerVirtual))

// the program: touches 4096 random pages of its hot 8 MiB (from 16 MiB on) every millisecond of
// world time; it joins the world as a participant, so its steps interleave with the kdamond's
const rng = Rng.makeRng(7)
const program = World.WorldClock.use((w) => {
  const self = w.join()
  return Effect.forever(Effect.andThen(Effect.sync(() => {
    for (let i = 0; i < 4096; i++) table.mark(rng.rand(base + 16 * MiB, base + 24 * MiB))
  }), Effect.suspend(() => self.sleepUntil(w.nowUs() + 1000))), { disableYield: true })
})

export const main = Effect.gen(function*() {
  const kdamond = yield* (yield* Damon.Damon).start({ ops: "fvaddr", targets: [{ pid: 1, regions: table.mappedRanges() }] }, { seed: 1, stopAtUs: 2_000_000 })
  yield* Effect.forkScoped(program)
  yield* World.WorldClock.use((w) => w.sleep(1_000_000))
  const regions = yield* kdamond.damonCall((ctx) => ctx.targets[0]!.regions.map((r) => ({ ...r })), { at: "aggregation" })
  const hot = regions.filter((r) => r.nrAccesses > 0)
  const mib = (a: number) => ((a - base) / MiB).toFixed(1)
  yield* Console.log(`${regions.length} regions; accessed: +${mib(hot[0]!.start)} .. +${mib(hot[hot.length - 1]!.end)} MiB`)
  yield* Console.log(`stopped: ${(yield* kdamond.join)._tag}`)
}).pipe(Effect.scoped, Effect.provide(runtime))

if (import.meta.main) NodeRuntime.runMain(main)
