/**
 * The modules' parameter writes under hostile input: whatever a caller passes as a name, a text
 * or a typed patch (non-strings, Proxies, throwing getters, cycles, huge strings), the answer is a
 * typed error with a bounded message and the parameters stay as they were; the layer's initial
 * parameters are checked the same way.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import type { DamonError } from "effect-damon"
import { DamonLruSort } from "../../src/modules/DamonLruSort.ts"
import * as DamonReclaimModule from "../../src/modules/DamonReclaim.ts"
import { DamonReclaim } from "../../src/modules/DamonReclaim.ts"
import { untyped } from "../support/untyped.ts"
import { damonLayer, errorOf, smallMachine, stack } from "./support.ts"

const trap = new Proxy({}, { get: () => { throw new Error("trap") }, ownKeys: () => { throw new Error("keys") } })

describe("module parameters under hostile input", () => {
  it.effect("write, read and set refuse hostile names, texts and patches with typed errors; nothing changes", () =>
    Effect.gen(function*() {
      for (const m of [yield* DamonReclaim, yield* DamonLruSort]) {
        const before = yield* m.params
        const cases: ReadonlyArray<readonly [Effect.Effect<unknown, DamonError>, string]> = [
          [m.write("quota_ms", untyped(42)), "EINVAL"],
          [m.write("quota_ms", untyped(trap)), "EINVAL"],
          [m.write(untyped(Symbol("x")), "1"), "ENOENT"],
          [m.write(untyped(trap), "1"), "ENOENT"],
          [m.write("quota_ms", "9".repeat(1_000_000)), "ERANGE"],
          [m.read(untyped({ toString: () => { throw new Error("no") } })), "ENOENT"],
          [m.set(untyped(trap)), "EINVAL"],
          [m.set(untyped({ get quotaMs(): number { throw new Error("getter") } })), "EINVAL"],
          [m.set(untyped({ quotaMs: 2n ** 64n })), "EINVAL"],
          [m.set(untyped({ ["x".repeat(100_000)]: 1 })), "EINVAL"]
        ]
        for (const [effect, errno] of cases) {
          const error = errorOf(yield* Effect.exit(effect))
          assert.strictEqual(error?.errno, errno, error?.message)
          assert.isBelow(error!.message.length, 2000)
        }
        assert.deepStrictEqual(yield* m.params, before)
      }
    }).pipe(Effect.provide(stack(smallMachine()))))

  it.effect("the layer's initial parameters are checked too: a throwing getter fails the layer typed", () =>
    Effect.gen(function*() {
      const layer = DamonReclaimModule.layer({ memory: smallMachine(), params: untyped({ get minAgeUs(): number { throw new Error("boot") } }) })
      const exit = yield* Effect.exit(Layer.build(layer.pipe(Layer.provide(damonLayer(smallMachine())))))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(errorOf(exit)?.message, "damon_reclaim.minAgeUs: (unreadable) is invalid: reading it threw: boot")
    }))
})
