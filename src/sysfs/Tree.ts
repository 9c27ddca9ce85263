/**
 * The file view of the DAMON admin tree: every directory and attribute file the kernel creates
 * under `/sys/kernel/mm/damon/admin`, with its name, mode (0600 or 0400), `show` format and
 * `store` parser, over the records of `TreeState.ts`. Mirrors the `kobj_attribute`s and
 * `*_add_dirs()` functions of `mm/damon/sysfs.c`, `sysfs-schemes.c` and `sysfs-common.c`.
 * Pure and synchronous: the `state` and `pid` files, the sysfs lock and the kdamonds
 * themselves are the `Sysfs` service's business; this module only marks them by role.
 */
import * as Result from "effect/Result"
import { actions, filterTypes, goalMetrics, isOpsFilterType } from "../model/Damos.ts"
import { kstrtoul, kstrtouint } from "./Kstrtox.ts"
import { fault } from "./SysfsError.ts"
import {
  bool,
  choice,
  dir,
  type DirNode,
  type FileNode,
  fromParse,
  int,
  line,
  type Node,
  numbered,
  pathFile,
  rangeDir,
  ro,
  rw,
  uint,
  ulong
} from "./TreeFiles.ts"
import {
  contextSize,
  destSize,
  filterSize,
  goalSize,
  kdamondSize,
  regionSize,
  schemeSize,
  targetSize
} from "./TreeLimits.ts"
import {
  type AdminRoot,
  type ContextDir,
  type FilterDir,
  type FiltersDir,
  type GoalDir,
  type KdamondDir,
  newContext,
  newDest,
  newFilter,
  newGoal,
  newKdamond,
  newRegion,
  newScheme,
  newTarget,
  type QuotasDir,
  type SchemeDir,
  type TargetDir
} from "./TreeState.ts"

export type { Apply, DirNode, FileNode, FileRole, Mode, Node } from "./TreeFiles.ts"

/** What the view needs from outside: the operations sets. */
export interface TreeEnv {
  /** Ids of the registered operations sets (`Damon.opsIds`). */
  readonly registeredOps: ReadonlyArray<string>
}

/** The kernel's operations names, in `damon_sysfs_ops_names[]` order. */
export const kernelOpsNames: ReadonlyArray<string> = ["vaddr", "fvaddr", "paddr"]

// --- Directories --------------------------------------------------------------------------

const regionsDir = (t: TargetDir): DirNode =>
  numbered("nr_regions", () => t.regions, (xs) => void (t.regions = xs), newRegion, (r) =>
    dir(() => [
      ["start", ulong(() => r.start, (v) => void (r.start = v))],
      ["end", ulong(() => r.end, (v) => void (r.end = v))]
    ]), regionSize)

const targetDir = (t: TargetDir): DirNode =>
  dir(() => [
    ["pid_target", int(() => t.pid, (v) => void (t.pid = v), true)],
    ["obsolete_target", bool(() => t.obsolete, (v) => void (t.obsolete = v))],
    ["regions", regionsDir(t)]
  ])

const attrsDir = (c: ContextDir): DirNode => {
  const a = c.attrs
  const g = a.goal
  return dir(() => [
    [
      "intervals",
      dir(() => [
        ["sample_us", ulong(() => a.sampleUs, (v) => void (a.sampleUs = v))],
        ["aggr_us", ulong(() => a.aggrUs, (v) => void (a.aggrUs = v))],
        ["update_us", ulong(() => a.updateUs, (v) => void (a.updateUs = v))],
        [
          "intervals_goal",
          dir(() => [
            ["access_bp", ulong(() => g.accessBp, (v) => void (g.accessBp = v))],
            ["aggrs", ulong(() => g.aggrs, (v) => void (g.aggrs = v))],
            ["min_sample_us", ulong(() => g.minSampleUs, (v) => void (g.minSampleUs = v))],
            ["max_sample_us", ulong(() => g.maxSampleUs, (v) => void (g.maxSampleUs = v))]
          ])
        ]
      ])
    ],
    ["nr_regions", rangeDir(a.nrRegions)]
  ])
}

const filterDir = (layer: FiltersDir["layer"], f: FilterDir): DirNode =>
  dir(() => [
    [
      "type",
      choice(filterTypes, () => f.type, (v) => void (f.type = v), (v) =>
        layer === "both" || (layer === "ops") === isOpsFilterType(v))
    ],
    ["matching", bool(() => f.matching, (v) => void (f.matching = v))],
    ["allow", bool(() => f.allow, (v) => void (f.allow = v))],
    ["memcg_path", pathFile(() => f.memcgPath, (v) => void (f.memcgPath = v))],
    ["addr_start", ulong(() => f.addrStart, (v) => void (f.addrStart = v))],
    ["addr_end", ulong(() => f.addrEnd, (v) => void (f.addrEnd = v))],
    ["min", ulong(() => f.min, (v) => void (f.min = v))],
    ["max", ulong(() => f.max, (v) => void (f.max = v))],
    ["damon_target_idx", int(() => f.targetIdx, (v) => void (f.targetIdx = v))]
  ])

const filtersDir = (fs: FiltersDir): DirNode =>
  numbered("nr_filters", () => fs.items, (xs) => void (fs.items = xs), newFilter, (f) => filterDir(fs.layer, f), filterSize)

const goalDir = (g: GoalDir): DirNode =>
  dir(() => [
    ["target_metric", choice(goalMetrics, () => g.metric, (v) => void (g.metric = v))],
    ["target_value", ulong(() => g.targetValue, (v) => void (g.targetValue = v))],
    ["current_value", ulong(() => g.currentValue, (v) => void (g.currentValue = v))],
    ["nid", int(() => g.nid, (v) => void (g.nid = v))],
    ["path", pathFile(() => g.path, (v) => void (g.path = v))]
  ])

const quotasDir = (q: QuotasDir): DirNode =>
  dir(() => [
    ["ms", ulong(() => q.ms, (v) => void (q.ms = v), true)],
    ["bytes", ulong(() => q.sz, (v) => void (q.sz = v), true)],
    ["reset_interval_ms", ulong(() => q.resetIntervalMs, (v) => void (q.resetIntervalMs = v), true)],
    ["effective_bytes", ro(() => line(q.effectiveSz))],
    ["goal_tuner", choice(["consist", "temporal"] as const, () => q.goalTuner, (v) => void (q.goalTuner = v))],
    [
      "weights",
      dir(() => [
        ["sz_permil", uint(() => q.weights.sz, (v) => void (q.weights.sz = v))],
        ["nr_accesses_permil", uint(() => q.weights.nrAccesses, (v) => void (q.weights.nrAccesses = v))],
        ["age_permil", uint(() => q.weights.age, (v) => void (q.weights.age = v))]
      ])
    ],
    ["goals", numbered("nr_goals", () => q.goals, (xs) => void (q.goals = xs), newGoal, goalDir, goalSize)]
  ])

const schemeDir = (s: SchemeDir): DirNode => {
  const w = s.watermarks
  const st = s.stats
  const tr = s.triedRegions
  return dir(() => [
    ["action", choice(actions, () => s.action, (v) => void (s.action = v))],
    ["apply_interval_us", ulong(() => s.applyIntervalUs, (v) => void (s.applyIntervalUs = v))],
    ["target_nid", int(() => s.targetNid, (v) => void (s.targetNid = v))],
    [
      "access_pattern",
      dir(() => [
        ["sz", rangeDir(s.accessPattern.sz)],
        ["nr_accesses", rangeDir(s.accessPattern.nrAccesses)],
        ["age", rangeDir(s.accessPattern.age)]
      ])
    ],
    [
      "dests",
      numbered("nr_dests", () => s.dests, (xs) => void (s.dests = xs), newDest, (d) =>
        dir(() => [
          ["id", uint(() => d.id, (v) => void (d.id = v))],
          ["weight", uint(() => d.weight, (v) => void (d.weight = v))]
        ]), destSize)
    ],
    ["quotas", quotasDir(s.quotas)],
    [
      "watermarks",
      dir(() => [
        ["metric", choice(["none", "free_mem_rate"] as const, () => w.metric, (v) => void (w.metric = v))],
        ["interval_us", ulong(() => w.intervalUs, (v) => void (w.intervalUs = v))],
        ["high", ulong(() => w.high, (v) => void (w.high = v))],
        ["mid", ulong(() => w.mid, (v) => void (w.mid = v))],
        ["low", ulong(() => w.low, (v) => void (w.low = v))]
      ])
    ],
    ["filters", filtersDir(s.filters)],
    ["core_filters", filtersDir(s.coreFilters)],
    ["ops_filters", filtersDir(s.opsFilters)],
    [
      "stats",
      dir(() => [
        ["nr_tried", ro(() => line(st.nrTried))],
        ["sz_tried", ro(() => line(st.szTried))],
        ["nr_applied", ro(() => line(st.nrApplied))],
        ["sz_applied", ro(() => line(st.szApplied))],
        ["sz_ops_filter_passed", ro(() => line(st.szOpsFilterPassed))],
        ["qt_exceeds", ro(() => line(st.qtExceeds))],
        ["nr_snapshots", ro(() => line(st.nrSnapshots))],
        ["max_nr_snapshots", ulong(() => st.maxNrSnapshots, (v) => void (st.maxNrSnapshots = v))]
      ])
    ],
    [
      "tried_regions",
      dir(() => [
        ["total_bytes", ro(() => line(tr.totalBytes))],
        ...tr.regions.map((r, i) =>
          [
            String(i),
            dir(() => [
              ["start", ro(() => line(r.start))],
              ["end", ro(() => line(r.end))],
              ["nr_accesses", ro(() => line(r.nrAccesses))],
              ["age", ro(() => line(r.age))],
              ["sz_filter_passed", ro(() => line(r.szFilterPassed))]
            ])
          ] as const
        )
      ])
    ]
  ])
}

/**
 * The names `operations` accepts: the kernel's three (registered or not; registration is checked
 * at `on`/`commit`), then any other registered id (an extension for custom operations sets).
 */
export const operationsNames = (env: TreeEnv): ReadonlyArray<string> => [
  ...kernelOpsNames,
  ...env.registeredOps.filter((id) => !kernelOpsNames.includes(id))
]

/** The lines of `avail_operations`: registered kernel names in kernel order, then other registered ids. */
export const availOperations = (env: TreeEnv): ReadonlyArray<string> => [
  ...kernelOpsNames.filter((id) => env.registeredOps.includes(id)),
  ...env.registeredOps.filter((id) => !kernelOpsNames.includes(id))
]

const contextDir = (env: TreeEnv, c: ContextDir): DirNode =>
  dir(() => [
    ["avail_operations", ro(() => Result.succeed(availOperations(env).map((n) => `${n}\n`).join("")))],
    ["operations", choice(operationsNames(env), () => c.operations, (v) => void (c.operations = v))],
    [
      "addr_unit",
      rw(
        () => line(c.addrUnit),
        (b) => {
          const v = fromParse(kstrtoul(b), false)
          return Result.isSuccess(v) && v.success === 0n ? Result.fail(fault("EINVAL", "must be > 0")) : v
        },
        (v) => void (c.addrUnit = v)
      )
    ],
    ["monitoring_attrs", attrsDir(c)],
    ["targets", numbered("nr_targets", () => c.targets, (xs) => void (c.targets = xs), newTarget, targetDir, targetSize)],
    ["schemes", numbered("nr_schemes", () => c.schemes, (xs) => void (c.schemes = xs), newScheme, schemeDir, schemeSize)]
  ])

/** `state`: shown and written by the `Sysfs` service (it needs the kdamond). */
const stateFile: FileNode = {
  kind: "file",
  mode: 0o600,
  showLocked: true,
  show: () => line("off"),
  store: undefined,
  role: "state"
}

const kdamondDir = (env: TreeEnv, k: KdamondDir): DirNode =>
  dir(() => [
    ["state", stateFile],
    ["pid", ro(() => line(-1), "pid")],
    ["refresh_ms", rw(() => line(k.refreshMs), (b) => fromParse(kstrtouint(b), false), (v) => void (k.refreshMs = v), {
      role: "refresh_ms"
    })],
    [
      "contexts",
      numbered("nr_contexts", () => k.contexts, (xs) => void (k.contexts = xs), newContext, (c) => contextDir(env, c), contextSize, {
        max: 1
      })
    ]
  ])

/** The view of the admin root (the directory `/sys/kernel/mm/damon/admin`). */
export const adminDir = (env: TreeEnv, root: AdminRoot): DirNode =>
  dir(() => [
    [
      "kdamonds",
      numbered("nr_kdamonds", () => root.kdamonds, (xs) => void (root.kdamonds = xs), newKdamond, (k) =>
        kdamondDir(env, k), kdamondSize, { role: "nr_kdamonds" })
    ]
  ])

/** The node at `segments` below `node`, or `undefined`. */
export const resolve = (node: Node, segments: ReadonlyArray<string>): Node | undefined => {
  let cur: Node = node
  for (const name of segments) {
    if (cur.kind !== "dir") return undefined
    const next = cur.child !== undefined ? cur.child(name) : cur.entries().find(([n]) => n === name)?.[1]
    if (next === undefined) return undefined
    cur = next
  }
  return cur
}

/**
 * Calls `visit` with every file at or below `node` and its path (`prefix` joined with `/`),
 * depth first in entry order. Keeps no node once visited, so a walk over a large tree holds only
 * the directories on its current path.
 */
export const forEachFile = (node: Node, prefix: string, visit: (path: string, file: FileNode) => void): void => {
  if (node.kind === "file") return visit(prefix, node)
  for (const [name, child] of node.entries()) forEachFile(child, prefix === "" ? name : `${prefix}/${name}`, visit)
}
