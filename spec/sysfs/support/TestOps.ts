/**
 * Test fixtures for the admin tree: the fake address space of `spec/support/FakeOps.ts` with an
 * `applyScheme` hook (every byte applied and passing the ops filters, so `damosWalk` visits
 * every tried region) and constant system metrics (so watermarks and goal metrics can be used),
 * registered under the kernel's `vaddr`, `fvaddr` and `paddr` ids; and a layer with the admin tree.
 */
import { Effect, Layer } from "effect"
import { Damon, type DamonOpsFactory, type Kdamond, OpsRegistry, World } from "effect-damon"
import { makeFakeOps } from "../../support/FakeOps.ts"
import * as Sysfs from "../../../src/sysfs/Sysfs.ts"

export const MiB = 1 << 20
/** The address space every target monitors: 100 MiB, the first 10 MiB always accessed. */
export const initRange = { start: 0, end: 100 * MiB }
export const hot = [{ start: 0, end: 10 * MiB }]

/** The fake ops with `applyScheme` and constant system metrics (free memory 50%). */
export const testOps = (id: string): DamonOpsFactory => () => {
  const base = makeFakeOps({ id, hot, initRange })()
  return {
    ...base,
    applyScheme: (_ctx, _t, r, _s, _env, out) => {
      out.applied = r.end - r.start
      out.filterPassed = r.end - r.start
    },
    system: {
      freeMemRatePermil: () => 500,
      someMemPsiTotalUs: () => 0,
      nodeMemUsedBp: () => 5000,
      nodeMemFreeBp: () => 5000,
      nodeMemcgUsedBp: () => 1000,
      activeMemBp: () => 5000,
      inactiveMemBp: () => 5000,
      nodeOfAddr: () => 0
    }
  }
}

/** Registry with `vaddr`, `fvaddr` and `paddr` test ops. */
export const registry = OpsRegistry.layer({ vaddr: testOps("vaddr"), fvaddr: testOps("fvaddr"), paddr: testOps("paddr") })

/** Every kdamond handle the tree obtained, in `on` order (the drgn-dump analogue for tests). */
export interface Handles {
  readonly all: Array<Kdamond.Kdamond>
}

/** The admin tree over the `Damon` runtime and the test registry; real time (TestClock) unless told, seed 1. */
export const sysfsLayer = (options: Sysfs.SysfsOptions = {}, handles?: Handles, time: World.TimeMode = "real") =>
  Sysfs.layer({
    start: { seed: 1 },
    ...options,
    wrapKdamond: (k, i) => {
      const wrapped = options.wrapKdamond === undefined ? k : options.wrapKdamond(k, i)
      handles?.all.push(wrapped)
      return wrapped
    }
  }).pipe(Layer.provideMerge(Damon.layer), Layer.provide([registry, World.layer(time)]))

/** Writes a file of the admin tree. */
export const write = (path: string, text: string) => Effect.flatMap(Sysfs.Sysfs, (fs) => fs.write(path, text))
/** Reads a file of the admin tree. */
export const read = (path: string) => Effect.flatMap(Sysfs.Sysfs, (fs) => fs.read(path))
/** Writes several files in order. */
export const writeAll = (entries: ReadonlyArray<readonly [string, string]>) =>
  Effect.forEach(entries, ([p, t]) => write(p, t), { discard: true })

/** The errno of a failed effect's error, or "ok". */
export const errnoOf = <A, R>(effect: Effect.Effect<A, { readonly errno: string }, R>) =>
  Effect.map(Effect.result(effect), (r) => (r._tag === "Success" ? "ok" : r.failure.errno))

export const CTX = "kdamonds/0/contexts/0"
export const S0 = `${CTX}/schemes/0`

/** One kdamond, one context, one vaddr target (pid 42) and `nrSchemes` schemes matching everything. */
export const setupVaddr = (nrSchemes = 1) =>
  writeAll([
    ["kdamonds/nr_kdamonds", "1"],
    ["kdamonds/0/contexts/nr_contexts", "1"],
    [`${CTX}/operations`, "vaddr"],
    [`${CTX}/targets/nr_targets`, "1"],
    [`${CTX}/targets/0/pid_target`, "42"],
    [`${CTX}/schemes/nr_schemes`, String(nrSchemes)],
    ...Array.from({ length: nrSchemes }, (_, i) => matchAll(`${CTX}/schemes/${i}`)).flat()
  ])

/** The writes `_damon_sysfs.DamosAccessPattern()` makes: every range [0, 2^64-1]. */
export const matchAll = (scheme: string): Array<readonly [string, string]> => [
  [`${scheme}/access_pattern/sz/min`, "0"],
  [`${scheme}/access_pattern/sz/max`, "18446744073709551615"],
  [`${scheme}/access_pattern/nr_accesses/min`, "0"],
  [`${scheme}/access_pattern/nr_accesses/max`, "18446744073709551615"],
  [`${scheme}/access_pattern/age/min`, "0"],
  [`${scheme}/access_pattern/age/max`, "18446744073709551615"]
]
