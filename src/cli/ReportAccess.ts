/**
 * `report access`: regions with their access rates and ages, in damo's default detailed style
 * (`AccessText.ts`), sortable, or as damo's record JSON (`--json`).
 *
 * - From a record file (`--input_file`, default `damon.data`): the chosen snapshots.
 * - Live, from a running `serve` (`--server` or `$EFFECT_DAMON_SERVER`, when no file is named):
 *   damo's snapshot sequence through the admin tree, for each running kdamond: read its
 *   parameters; unless one of its schemes already matches every region, stage them plus a
 *   catch-all `stat` scheme (apply interval = sampling interval) and `commit`; then
 *   `update_schemes_stats`, `update_tuned_intervals`, `update_schemes_tried_regions` (retried
 *   with backoff, as damo does), read that scheme's `tried_regions/`; finally stage the original
 *   parameters and `commit` again, which leaves the schemes as they were (stats of the kept
 *   schemes included: a commit matches schemes by position).
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import { encodeRecords, type DamonRecord, type RecordRegion } from "../damo/Record.ts"
import type { SchemeInput } from "../core/damos/DamosConfig.ts"
import type { SchemeConfig } from "../model/Damos.ts"
import { invalidArgument, notRunning } from "../model/DamonError.ts"
import type { TreeConfig } from "../sysfs/BuildConfig.ts"
import { type AccessTextOptions, formatAccess, type SnapshotChoice, type SortKey } from "./AccessText.ts"
import { type AdminTree, httpClientLayer, overHttp, type TreeError } from "./AdminTree.ts"
import { readRecords } from "./RecordInput.ts"
import { serverOf } from "./ServerUrl.ts"
import { command, stage } from "./Staging.ts"
import { readKdamond, readTriedRegions, runningKdamonds } from "./TreeRead.ts"

/** Options of `report access`. */
export interface ReportAccessOptions {
  readonly input: Option.Option<string>
  readonly server: Option.Option<string>
  readonly snapshot: SnapshotChoice
  readonly sortBy: ReadonlyArray<SortKey>
  readonly descending: boolean
  readonly json: boolean
  readonly raw: boolean
}

const ULONG = Number.MAX_SAFE_INTEGER

/** damo's snapshot scheme: `stat` on every region. */
const catchAll = (sampleUs: number): SchemeInput => ({ action: "stat", applyIntervalUs: sampleUs })

/** Whether a scheme already sees every region with no effect (damo's `effectively_equal`). */
const matchesAll = (s: SchemeConfig): boolean => {
  const p = s.pattern
  return s.action === "stat" && p.minSzRegion === 0 && p.maxSzRegion >= ULONG && p.minNrAccesses === 0 &&
    p.maxNrAccesses >= 4294967295 && p.minAgeRegion === 0 && p.maxAgeRegion >= 4294967295 && s.filters.length === 0 &&
    s.quota.ms === 0 && s.quota.sz === 0 && s.quota.goals.length === 0 && s.wmarks.metric === "none"
}

/** damo's `merge_regions`: adjacent tried regions with the same access pattern become one. */
const mergeRegions = (regions: ReadonlyArray<RecordRegion>): Array<RecordRegion> => {
  const out: Array<RecordRegion> = []
  for (const r of regions) {
    const last = out[out.length - 1]
    if (last !== undefined && last.end === r.start && last.nrAccesses === r.nrAccesses && last.age === r.age) {
      out[out.length - 1] = { ...last, end: r.end, szFilterPassed: last.szFilterPassed + r.szFilterPassed }
    } else out.push(r)
  }
  return out
}

/** damo's live snapshot of one running kdamond (see the module comment). */
export const liveSnapshot = (tree: AdminTree, k: number): Effect.Effect<DamonRecord, TreeError> =>
  Effect.gen(function*() {
    const original = yield* readKdamond(tree, k)
    if (Result.isFailure(original.config)) return yield* Effect.fail(original.config.failure)
    const config: TreeConfig = original.config.success
    const found = config.schemes.findIndex(matchesAll)
    const installed = found < 0
    const schemeIdx = installed ? config.schemes.length : found
    if (installed) {
      yield* stage(tree, k, { ...config, schemes: [...config.schemes, catchAll(config.attrs.sampleIntervalUs)] })
      yield* command(tree, k, "commit")
    }
    const take = Effect.gen(function*() {
      yield* command(tree, k, "update_schemes_stats")
      yield* command(tree, k, "update_tuned_intervals")
      yield* command(tree, k, "update_schemes_tried_regions").pipe(
        Effect.retry({ times: 4, schedule: Schedule.exponential("10 millis") })
      )
      const iv = `kdamonds/${k}/contexts/0/monitoring_attrs/intervals`
      const num = (p: string) => Effect.map(tree.read(p), (t) => Number(t.trim()))
      const sampleUs = yield* num(`${iv}/sample_us`)
      const aggrUs = yield* num(`${iv}/aggr_us`)
      const tried = yield* readTriedRegions(tree, `kdamonds/${k}/contexts/0/schemes/${schemeIdx}`)
      return { sampleUs, aggrUs, tried }
    })
    // The schemes are committed back whatever happened (also on interruption); if that fails,
    // the user is told, as damo reports a failed uninstall.
    const taken = yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(restore(take))
        if (installed) {
          yield* Effect.andThen(stage(tree, k, config), command(tree, k, "commit")).pipe(
            Effect.mapError((e) => invalidArgument(`kdamonds/${k}`, "the snapshot scheme", `could not be removed again: ${e.message}`))
          )
        }
        return yield* exit
      })
    )
    const endNs = BigInt(yield* Clock.currentTimeMillis) * 1_000_000n
    return {
      kdamondIdx: k,
      contextIdx: 0,
      intervals: {
        sampleUs: taken.sampleUs,
        aggrUs: taken.aggrUs,
        opsUpdateUs: config.attrs.opsUpdateIntervalUs,
        goal: config.attrs.intervalsGoal
      },
      schemeIdx,
      targetId: null,
      schemeFilters: [],
      snapshots: [{
        startNs: endNs - BigInt(taken.aggrUs) * 1000n,
        endNs,
        regions: mergeRegions(taken.tried.regions),
        totalBytes: taken.tried.totalBytes
      }]
    }
  }).pipe(Effect.withSpan("effect-damon report access (live)", { attributes: { kdamond: k } }))

const print = (records: ReadonlyArray<DamonRecord>, o: ReportAccessOptions, choice: SnapshotChoice) =>
  o.json
    ? Console.log(encodeRecords(records.map((r) => ({ ...r, snapshots: choice === "all" ? r.snapshots : r.snapshots.filter((_, i, all) => (choice === "last" ? i === all.length - 1 : i === choice)) }))))
    : Console.log(formatAccess(records, choice, { sortBy: o.sortBy, descending: o.descending, raw: o.raw } satisfies AccessTextOptions))

/** `effect-damon report access`. */
export const runReportAccess = (o: ReportAccessOptions): Effect.Effect<void, TreeError> =>
  Effect.gen(function*() {
    const server = Option.isSome(o.input) ? undefined : yield* serverOf(o.server)
    if (server === undefined) return yield* print(yield* readRecords(Option.getOrElse(o.input, () => "damon.data")), o, o.snapshot)
    yield* Effect.gen(function*() {
      const tree = yield* overHttp(server)
      const running = yield* runningKdamonds(tree)
      if (running.length === 0) return yield* Effect.fail(notRunning(`no kdamond is running on ${server}`))
      const records: Array<DamonRecord> = []
      for (const k of running) records.push(yield* liveSnapshot(tree, k))
      yield* print(records, o, "all")
    }).pipe(Effect.provide(httpClientLayer))
  })
