/**
 * `sysfs read|write|ls`: the admin tree file by file, as `cat`, `echo >` and `ls` on
 * `/sys/kernel/mm/damon/admin`. Against a running `serve` (`--server`), or offline on an
 * in-process tree (a simulated machine running `stairs` as pid 42), optionally set up from a
 * kdamonds JSON file first (`--kdamonds`): a way to learn the tree's layout, defaults and rules
 * without a kernel. Reading a directory prints every file below it (`grep -r . dir`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Damon from "../Damon.ts"
import * as World from "../engine/World.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simOps } from "../sim/SimOps.ts"
import * as Sysfs from "../sysfs/Sysfs.ts"
import { type AdminTree, httpClientLayer, inProcess, overHttp, type TreeError } from "./AdminTree.ts"
import { readKdamondsFile } from "./Configs.ts"
import { defaultPid } from "./DamoOptions.ts"
import { serverOf } from "./ServerUrl.ts"
import { ensureKdamonds, stage } from "./Staging.ts"
import { loadWorkload } from "./Workloads.ts"

/** Options of the `sysfs` commands. */
export interface SysfsOptions {
  readonly server: Option.Option<string>
  readonly kdamonds: Option.Option<string>
}

/** The operation: read a file or directory, write a file, list a directory. */
export type SysfsOperation =
  | { readonly _tag: "read"; readonly path: string }
  | { readonly _tag: "write"; readonly path: string; readonly value: string }
  | { readonly _tag: "ls"; readonly path: string }

const errnoOf = (e: TreeError): string => (e._tag === "ServerError" ? e.errno : e.errno)

const clean = (path: string): string => path.replace(/^\/?(sys\/kernel\/mm\/damon\/admin\/?)?/, "").replace(/\/+$/, "")

/** Every file at or below `path`, depth first (a directory read over HTTP costs a request per entry). */
const dump = (tree: AdminTree, path: string): Effect.Effect<Array<readonly [string, string]>, TreeError> =>
  Effect.gen(function*() {
    const out: Array<readonly [string, string]> = []
    for (const name of yield* tree.list(path)) {
      const child = path === "" ? name : `${path}/${name}`
      const text = yield* Effect.result(tree.read(child))
      if (Result.isSuccess(text)) out.push([child, text.success.replace(/\n$/, "")])
      else if (errnoOf(text.failure) === "EISDIR") out.push(...(yield* dump(tree, child)))
      else return yield* Effect.fail(text.failure)
    }
    return out
  })

const operate = (tree: AdminTree, op: SysfsOperation): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const path = clean(op.path)
    if (op._tag === "ls") return yield* Console.log((yield* tree.list(path)).join("\n"))
    if (op._tag === "write") {
      yield* tree.write(path, op.value)
      return
    }
    const text = yield* Effect.result(tree.read(path))
    if (Result.isSuccess(text)) return yield* Console.log(text.success.replace(/\n$/, ""))
    if (errnoOf(text.failure) !== "EISDIR") return yield* Effect.fail(text.failure)
    for (const [p, v] of yield* dump(tree, path)) yield* Console.log(`${p}:${v.includes("\n") ? `\n${v}` : v}`)
  })

/** An in-process tree over a simulated machine (stairs as pid 42, virtual time). */
const offlineTree = (): Layer.Layer<Sysfs.Sysfs, DamonError> =>
  Layer.unwrap(Effect.gen(function*() {
    const config = loadWorkload("stairs")
    if (Result.isFailure(config)) return yield* Effect.fail(config.failure)
    const machine = SimMachine.withMasim(config.success, { seed: 1, pid: defaultPid, loop: true })
    if (Result.isFailure(machine)) return yield* Effect.fail(machine.failure)
    const m = machine.success
    return Sysfs.layer({ start: { seed: 1 }, processExists: (pid) => m.process(pid) !== undefined }).pipe(
      Layer.provide(Damon.layer),
      Layer.provide([OpsRegistry.layer(simOps(m)), World.layerVirtual])
    )
  }))

/** `effect-damon sysfs read|write|ls`. */
export const runSysfs = (o: SysfsOptions, op: SysfsOperation): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = yield* serverOf(o.server)
    if (server !== undefined) {
      if (Option.isSome(o.kdamonds)) return yield* Effect.fail(invalidKdamonds())
      return yield* Effect.flatMap(overHttp(server), (tree) => operate(tree, op)).pipe(Effect.provide(httpClientLayer))
    }
    yield* Effect.gen(function*() {
      const tree = inProcess(yield* Sysfs.Sysfs)
      if (Option.isSome(o.kdamonds)) {
        const read = yield* readKdamondsFile(o.kdamonds.value)
        yield* ensureKdamonds(tree, read.configs.length)
        for (let i = 0; i < read.configs.length; i++) yield* stage(tree, i, read.configs[i])
      }
      yield* operate(tree, op)
      if (op._tag === "write") yield* Console.log(`${clean(op.path)}: ${(yield* tree.read(clean(op.path))).replace(/\n$/, "")} (offline: this in-process tree ends with the command; --server changes a running serve)`)
    }).pipe(Effect.provide(offlineTree()))
  })

const invalidKdamonds = (): DamonError =>
  invalidArgument("--kdamonds", "(given)", "sets up the offline tree only; a server's tree is set up with 'effect-damon start'")
