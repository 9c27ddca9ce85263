/**
 * The workloads an accuracy run can watch, as plain data (so a sweep can send them to worker
 * threads), and their instantiation for one run: an address space, the process id to monitor,
 * the ground truth per window, and what must start before the monitor (a trace's reader).
 */
import { accessSync, constants } from "node:fs"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import type { WorldClock } from "../engine/World.ts"
import { type DamonError, invalidArgument } from "../model/DamonError.ts"
import type { AddressSpace } from "../ops/AddressSpace.ts"
import { loadMasimConfig, loadMasimConfigFile } from "../sim/MasimFiles.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simSpace } from "../sim/SimSpace.ts"
import * as PageTruth from "../spaces/PageTruth.ts"
import * as TraceSpace from "../spaces/TraceSpace.ts"
import { truthFromPageCounts, type TruthWindow } from "./Accuracy.ts"
import * as MasimTruth from "./MasimTruth.ts"
import { fileChunks, replay, type ReplayResult } from "./TraceReplay.ts"

/** A masim workload on the simulated machine (a shipped name or a file path), run as pid 42. */
export interface MasimWorkload {
  readonly kind: "masim"
  readonly name: string
  /** Accesses per second of the access model (default 50e6). */
  readonly throughput?: number
}

/** A recorded lackey trace file (plain or gzip), replayed at a stated rate, as pid 1. */
export interface TraceWorkload {
  readonly kind: "trace"
  readonly path: string
  /** Replay rate: accesses per microsecond of world time. */
  readonly accessesPerUs: number
  /** Replay instruction fetches too (default `true`). */
  readonly instructions?: boolean
  /** Skip malformed lines instead of failing (default `false`). */
  readonly skipBadLines?: boolean
  /** Accesses by which a chunk's mapping precedes its first access (default 65536). */
  readonly mapLeadRecords?: number
}

/** A workload description. */
export type WorkloadSpec = MasimWorkload | TraceWorkload

/** A short name for reports: the masim name or the trace file's base name. */
export const workloadName = (w: WorkloadSpec): string => (w.kind === "masim" ? w.name.replace(/^.*[\\/]/, "").replace(/\.cfg$/, "") : w.path.replace(/^.*[\\/]/, ""))

/** One run's instance of a workload. */
export interface WorkloadRun {
  readonly space: AddressSpace
  readonly pid: number
  /** The truth of `[previous call's endUs (or 0), endUs)`; call once per window, in order. */
  readonly closeWindow: (endUs: number) => TruthWindow
  /** Starts what feeds the space (a trace's reader); its fiber fails if the trace is bad. */
  readonly start: Effect.Effect<Fiber.Fiber<ReplayResult, DamonError> | undefined, DamonError, WorldClock | Scope.Scope>
}

const MASIM_PID = 42

/** Checks `w` without running it: a masim name or file that loads, a readable trace file, a valid rate. */
export const checkWorkload = (w: WorkloadSpec): DamonError | undefined => {
  if (w.kind === "masim") {
    const config = loadConfig(w.name)
    return Result.isFailure(config) ? config.failure : undefined
  }
  if (!(w.accessesPerUs > 0 && Number.isFinite(w.accessesPerUs))) return invalidArgument("accessesPerUs", w.accessesPerUs, "must be a positive finite number")
  try {
    accessSync(w.path, constants.R_OK)
    return undefined
  } catch (e) {
    return invalidArgument("trace.path", w.path, `cannot be read: ${e instanceof Error ? e.message : String(e)}`)
  }
}

const loadConfig = (name: string) => (name.includes("/") || name.endsWith(".cfg") ? loadMasimConfigFile(name) : loadMasimConfig(name))

/** Instantiates `w` with a truth on a grid of `tickUs` from world time 0; `seed` lays out the machine. */
export const instantiate = (w: WorkloadSpec, tickUs: number, seed: number): Result.Result<WorkloadRun, DamonError> => {
  if (!(tickUs > 0 && Number.isFinite(tickUs))) return Result.fail(invalidArgument("truthTickUs", tickUs, "must be a positive finite number of microseconds"))
  if (w.kind === "masim") {
    const config = loadConfig(w.name)
    if (Result.isFailure(config)) return Result.fail(config.failure)
    const machine = SimMachine.withMasim(config.success, { seed, pid: MASIM_PID, ...(w.throughput === undefined ? {} : { throughput: w.throughput }) })
    if (Result.isFailure(machine)) return Result.fail(machine.failure)
    const proc = machine.success.process(MASIM_PID)!
    const truth = MasimTruth.make(
      { config: config.success, regionStart: proc.regionStart, startUs: proc.startUs, throughput: proc.model!.throughput, loop: proc.model!.loop },
      tickUs
    )
    let lastUs = 0
    return Result.succeed({
      space: simSpace(machine.success),
      pid: MASIM_PID,
      closeWindow: (endUs) => {
        const window = truth.window(lastUs, endUs)
        lastUs = endUs
        return window
      },
      start: Effect.succeed(undefined)
    })
  }
  const truth = PageTruth.make({ tickUs })
  if (Result.isFailure(truth)) return Result.fail(truth.failure)
  const trace = TraceSpace.make({
    accessesPerUs: w.accessesPerUs,
    truth: truth.success,
    ...(w.instructions === undefined ? {} : { instructions: w.instructions }),
    ...(w.mapLeadRecords === undefined ? {} : { mapLeadRecords: w.mapLeadRecords })
  })
  if (Result.isFailure(trace)) return Result.fail(trace.failure)
  const t = trace.success
  return Result.succeed({
    space: t.space,
    pid: t.pid,
    closeWindow: (endUs) => {
      t.advance(endUs)
      return truthFromPageCounts(truth.success.closeWindow(endUs))
    },
    start: replay(t, fileChunks(w.path), { source: w.path, skipBadLines: w.skipBadLines ?? false })
  })
}
