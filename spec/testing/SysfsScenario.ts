/**
 * A scenario over a command layer: the admin tree (`effect-damon/sysfs`) with its periodic
 * refresh on, and clients writing its files (state commands, `nr_contexts`, `refresh_ms`). The
 * tree reaches its kdamond only through the handle its `wrapKdamond` seam gets, here a recording
 * one, so every call the tree makes lands in the history as client `sysfs`.
 */
import { Arbitrary, Effect, Schema } from "effect"
import type { DamonConfigInput } from "effect-damon"
import { Sysfs } from "effect-damon/sysfs"
import { FakeOps, type Scenario } from "effect-damon/testing"
import { type SysfsSeam, SysfsSeam as SysfsSeamRef } from "../../src/sysfs/SysfsSeam.ts"

/** One client operation: a write to the tree, or a pause. */
export type Op =
  | { readonly _tag: "Write"; readonly path: string; readonly text: string }
  | { readonly _tag: "WriteConfig" }
  | { readonly _tag: "Sleep"; readonly us: number }

const K = "kdamonds/0"
const writes: ReadonlyArray<readonly [string, string]> = [
  [`${K}/contexts/nr_contexts`, "0"],
  [`${K}/contexts/nr_contexts`, "1"],
  [`${K}/state`, "on"],
  [`${K}/state`, "off"],
  [`${K}/state`, "commit"],
  [`${K}/state`, "update_schemes_stats"],
  [`${K}/state`, "update_schemes_tried_regions"],
  [`${K}/state`, "update_schemes_tried_bytes"],
  [`${K}/state`, "clear_schemes_tried_regions"],
  [`${K}/state`, "update_schemes_effective_quotas"],
  [`${K}/state`, "update_tuned_intervals"],
  [`${K}/state`, "commit_schemes_quota_goals"],
  [`${K}/refresh_ms`, "0"],
  [`${K}/refresh_ms`, "1"],
  [`${K}/refresh_ms`, "3"]
]

const config: DamonConfigInput = {
  ops: "fake",
  targets: [{}],
  attrs: { sampleIntervalUs: 1_000, aggrIntervalUs: 5_000, minNrRegions: 3, maxNrRegions: 10 },
  schemes: [{ action: "stat" }, { action: "cold", pattern: { maxNrAccesses: 0 } }]
}

const OpSeed = Schema.Struct({
  kind: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 9 })),
  a: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: writes.length - 1 })),
  b: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 3_000 }))
})

const toOp = ({ kind, a, b }: typeof OpSeed.Type): Op =>
  kind < 2 ? { _tag: "Sleep", us: b } : kind < 3 ? { _tag: "WriteConfig" } : { _tag: "Write", path: writes[a]![0], text: writes[a]![1] }

/** The admin-tree scenario, on the shipped tree or on a test-only variant of its refresh. */
export const make = (id: string, seam?: SysfsSeam): Scenario.Scenario<Op, Sysfs.Sysfs["Service"]> => ({
  id,
  ops: { fake: FakeOps.make() },
  op: Arbitrary.schema(OpSeed).pipe(Arbitrary.map(toOp)),
  maxClients: 3,
  maxOps: 4,
  describe: (op) => (op._tag === "Sleep" ? `sleep ${op.us}us` : op._tag === "WriteConfig" ? "write the config" : `echo ${op.text} > ${op.path}`),
  bounds: { promptUs: 1_000, aggregationUs: 5_000 },
  horizonUs: 200_000,
  setup: (env) =>
    Effect.gen(function*() {
      const sysfs = yield* Sysfs.make({ wrapKdamond: (k) => env.record(k, "sysfs"), start: { seed: 1 } })
      yield* sysfs.write("kdamonds/nr_kdamonds", "1")
      yield* sysfs.writeConfig(0, config)
      yield* sysfs.write(`${K}/refresh_ms`, "1")
      yield* sysfs.write(`${K}/state`, "on")
      return sysfs
    }).pipe(Effect.orDie, seam === undefined ? (e) => e : Effect.provideService(SysfsSeamRef, seam)),
  perform: (op, client, sysfs) => {
    switch (op._tag) {
      case "Sleep":
        return client.sleep(op.us)
      case "WriteConfig":
        return Effect.asVoid(client.op("writeConfig", "", sysfs.writeConfig(0, config)))
      case "Write":
        return Effect.asVoid(client.op("write", `${op.text} > ${op.path}`, sysfs.write(op.path, op.text)))
    }
  },
  teardown: (sysfs) => Effect.ignore(sysfs.write(`${K}/state`, "off"))
})
