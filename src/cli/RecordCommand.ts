/**
 * `record`: monitoring results into damo's record file (`json_compressed` by default), which
 * every `report` (and damo) reads.
 *
 * - **Offline** (no server): a simulated machine runs `--workload` in virtual time for
 *   `--duration`, monitored with damo's options (or `--kdamonds`). The recorder joins the world
 *   as a participant and wakes once per aggregation interval: world time stands still while it
 *   writes, so the kdamond is never more than an aggregation ahead of the file, and memory stays
 *   that of a snapshot or two however long the run (`cli.peakRssMiB` in the bench).
 * - **Live** (`--server` or `$EFFECT_DAMON_SERVER`): the aggregations of a running kdamond from
 *   the server's events endpoint (`GET /events/kdamonds/<K>`, server-sent events), until
 *   `--duration` of wall time passes, the kdamond stops, or Ctrl-C.
 *
 * Either way Ctrl-C interrupts the recording and the file is finished with what was recorded.
 * Runs longer than two seconds show progress on a terminal.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { HttpClient } from "effect/http"
import * as Damon from "../Damon.ts"
import type { StartConfig } from "../damo/KdamondsJson.ts"
import { openRecordWriter } from "../damo/RecordFile.ts"
import * as World from "../engine/World.ts"
import { decodeMessage, makeSseParser } from "../http/EventsCodec.ts"
import { eventsPath } from "../http/EventsRoute.ts"
import { invalidArgument, notRunning } from "../model/DamonError.ts"
import * as OpsRegistry from "../ops/OpsRegistry.ts"
import { biggestSystemRamRange } from "../ops/paddr.ts"
import { SimMachine } from "../sim/SimMachine.ts"
import { simOps } from "../sim/SimOps.ts"
import { simSpace } from "../sim/SimSpace.ts"
import { httpClientLayer, overHttp, ServerError, type TreeError } from "./AdminTree.ts"
import { configsOf } from "./Configs.ts"
import { type DamoOptions, defaultPid } from "./DamoOptions.ts"
import { runPaced } from "./PacedRun.ts"
import { makeProgress } from "./Progress.ts"
import { fromWire, makeRecordSink, type RecordSink } from "./RecordSink.ts"
import { serverEnv, serverOf } from "./ServerUrl.ts"
import { recordKdamondStats, withTelemetry } from "./Telemetry.ts"
import { loadWorkload } from "./Workloads.ts"

/** Options of `record`. */
export interface RecordOptions {
  readonly server: Option.Option<string>
  readonly kdamond: number
  /** Microseconds: virtual time offline (default one cycle of the workload), wall time live (default until stopped). */
  readonly durationUs: Option.Option<number>
  readonly out: string
  readonly outputType: "json_compressed" | "json"
  readonly workload: Option.Option<string>
  readonly seed: number
  readonly kdamonds: Option.Option<string>
  readonly damo: DamoOptions
  readonly otlp: Option.Option<string>
}

const seconds = (us: number): string => `${(us / 1e6).toFixed(1)}`

/** The config with what the machine supplies: paddr's default region, fvaddr's mapped ranges. */
const withMachineDefaults = (c: StartConfig, machine: SimMachine): StartConfig => ({
  ...c,
  targets: c.targets.map((t) => {
    if (t.regions.length > 0) return t
    if (c.ops === "paddr") return { ...t, regions: [biggestSystemRamRange(simSpace(machine))] }
    if (c.ops === "fvaddr") return { ...t, regions: machine.process(t.pid ?? defaultPid)?.vmasAt(0).map((v) => ({ start: v.start, end: v.end })) ?? [] }
    return t
  })
})

/** Offline: the workload in virtual time, the recorder pacing the world (see the module comment). */
const recordOffline = (o: RecordOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const configs = yield* configsOf(Option.getOrUndefined(o.kdamonds), o.damo)
    if (configs.length !== 1) return yield* Effect.fail(invalidArgument("--kdamonds", `${configs.length} kdamonds`, "record records one kdamond"))
    const workload = loadWorkload(Option.getOrElse(o.workload, () => "stairs"))
    if (Result.isFailure(workload)) return yield* Effect.fail(workload.failure)
    const machine = SimMachine.withMasim(workload.success, { seed: o.seed, pid: defaultPid, loop: true })
    if (Result.isFailure(machine)) return yield* Effect.fail(machine.failure)
    const config = withMachineDefaults(configs[0]!, machine.success)
    const durationUs = Option.getOrElse(o.durationUs, () => workload.success.phases.reduce((n, p) => n + p.durationMs, 0) * 1000)
    const runtime = Damon.layer.pipe(Layer.provide(OpsRegistry.layer(simOps(machine.success))), Layer.provideMerge(World.layerVirtual))
    const what = () => `${workload.success.name}, ${seconds(sink?.lastAtUs() ?? 0)} s of virtual time`
    let sink: RecordSink | undefined
    yield* Effect.scoped(Effect.gen(function*() {
      const writer = yield* openRecordWriter(o.out, { compressed: o.outputType === "json_compressed" })
      const s = (sink = makeRecordSink(writer, config.attrs.opsUpdateIntervalUs))
      const progress = yield* makeProgress()
      yield* Effect.addFinalizer(() => progress.done)
      const kdamond = yield* runPaced(
        (yield* Damon.Damon).start(config, { seed: o.seed, stopAtUs: durationUs }),
        config.attrs.aggrIntervalUs,
        (e) =>
          e._tag !== "Aggregated" ? Effect.void : Effect.andThen(
            s.add(e),
            progress.update(e.atUs / durationUs, `${seconds(e.atUs)} of ${seconds(durationUs)} s virtual`)
          )
      )
      if (Option.isSome(o.otlp)) yield* recordKdamondStats([{ index: 0, kdamond }])
    })).pipe(
      Effect.provide(runtime),
      Effect.onInterrupt(() => (sink === undefined ? Effect.void : Console.log(`interrupted: ${summary(sink, o.out, what())}`)))
    )
    if (sink !== undefined) yield* Console.log(summary(sink, o.out, what()))
  })

const summary = (sink: RecordSink, out: string, what: string): string =>
  `recorded ${sink.written()} aggregations (${what}) to ${out}` +
  (sink.dropped() > 0 ? `; ${sink.dropped()} aggregations were lost on the way (the reader fell behind)` : "")

/** Live: the events endpoint of a running kdamond. */
const recordLive = (o: RecordOptions, server: string): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const local = Option.isSome(o.workload) ? "--workload" : Option.isSome(o.kdamonds) ? "--kdamonds" : undefined
    if (local !== undefined) return yield* Effect.fail(invalidArgument(local, "(given)", `applies only offline: ${server} records what it runs (unset ${serverEnv} or drop --server)`))
    const tree = yield* overHttp(server)
    const base = `kdamonds/${o.kdamond}`
    if ((yield* tree.read(`${base}/state`)).trim() !== "on") return yield* Effect.fail(notRunning(`kdamond ${o.kdamond} on ${server} (start it first)`))
    const opsUpdateUs = Number((yield* tree.read(`${base}/contexts/0/monitoring_attrs/intervals/update_us`)).trim())
    const client = yield* HttpClient.HttpClient
    let sink: RecordSink | undefined
    yield* Effect.scoped(Effect.gen(function*() {
      const writer = yield* openRecordWriter(o.out, { compressed: o.outputType === "json_compressed" })
      const s = (sink = makeRecordSink(writer, opsUpdateUs))
      const progress = yield* makeProgress()
      yield* Effect.addFinalizer(() => progress.done)
      const url = `${server.replace(/\/+$/, "")}${eventsPath(o.kdamond)}`
      const res = yield* client.get(url).pipe(Effect.mapError((e) => new ServerError({ server, errno: "unreachable", detail: e.message.split("\n")[0]! })))
      if (res.status !== 200) {
        const text = yield* Effect.orElseSucceed(res.text, () => "")
        return yield* Effect.fail(new ServerError({ server, errno: `HTTP ${res.status}`, detail: text.slice(0, 200) }))
      }
      const parser = makeSseParser()
      const decoder = new TextDecoder()
      let firstAtUs: number | undefined
      const consume = res.stream.pipe(
        Stream.mapError((e) => new ServerError({ server, errno: "stream", detail: e.message.split("\n")[0]! })),
        Stream.runForEachWhile((chunk) =>
          Effect.gen(function*() {
            for (const m of parser.feed(decoder.decode(chunk, { stream: true }))) {
              const e = decodeMessage(m)
              if (typeof e === "string") return yield* Effect.fail(new ServerError({ server, errno: "EPROTO", detail: e }))
              if (e._tag === "Stopped") return false
              if (e._tag !== "Aggregated") continue
              yield* s.add(fromWire(e))
              firstAtUs ??= e.atUs
              const doneUs = e.atUs - firstAtUs
              if (Option.isSome(o.durationUs)) {
                yield* progress.update(doneUs / o.durationUs.value, `${seconds(doneUs)} of ${seconds(o.durationUs.value)} s`)
              }
            }
            return true
          })
        )
      )
      yield* Option.isSome(o.durationUs) ? Effect.asVoid(Effect.timeoutOption(consume, `${Math.ceil(o.durationUs.value / 1000)} millis`)) : consume
    })).pipe(Effect.onInterrupt(() => (sink === undefined ? Effect.void : Console.log(`interrupted: ${summary(sink, o.out, `kdamond ${o.kdamond} of ${server}`)}`))))
    if (sink !== undefined) yield* Console.log(summary(sink, o.out, `kdamond ${o.kdamond} of ${server}`))
  }).pipe(Effect.provide(httpClientLayer))

/** `effect-damon record`. */
export const runRecord = (o: RecordOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = yield* serverOf(o.server)
    yield* server === undefined ? recordOffline(o) : recordLive(o, server)
  }).pipe(withTelemetry(o.otlp, "record"))
