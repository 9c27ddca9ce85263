/**
 * The library's resource limits: how much one config, one kdamond and one runtime may ask for.
 * Each is checked before anything is allocated and refused with `ENOMEM` (what the kernel answers
 * when it cannot allocate what a request needs) naming the field, the value and the limit. Where
 * the kernel bounds the same thing it is said below; most it bounds only by memory. See
 * `docs/limits.md` ("Library") for why each value is what it is.
 */
import type { Shape } from "../internal/InputSnapshot.ts"

/** Kdamonds running at once in one `Damon` runtime (the kernel: one kthread each, memory only). */
export const MAX_RUNNING_KDAMONDS = 1024

/** Targets of one context (the kernel: `nr_targets` is an `int`, then `kmalloc_array()`). */
export const MAX_NR_TARGETS = 4096

/**
 * Regions one kdamond may be asked to keep: the largest `attrs.minNrRegions`, the most initial
 * ranges of one context over all its targets, and where splitting stops whatever
 * `attrs.maxNrRegions` says (which, as in the kernel, takes any u64). With it a kdamond never
 * holds more than twice as many regions (a `min_nr_regions` split right after a merge adds at
 * most `minNrRegions`).
 */
export const MAX_NR_REGIONS = 65_536

/** Schemes of one context. */
export const MAX_NR_SCHEMES = 1024

/** Filters of one scheme. */
export const MAX_NR_FILTERS = 1024

/** Quota goals of one scheme (also per scheme in a goals-only commit). */
export const MAX_NR_GOALS = 1024

/** Migration destinations of one scheme (the kernel's `MAX_NUMNODES` is at most 1024). */
export const MAX_NR_DESTS = 1024

/**
 * Control requests (`damonCall`s of every kind, repeat calls included) pending on one kdamond;
 * one more is refused at once (the kernel: one per waiting thread, memory only).
 */
export const MAX_PENDING_REQUESTS = 65_536

/** Largest per-subscriber event buffer (`eventBufferSize`), in events. */
export const MAX_EVENT_BUFFER = 65_536

/**
 * Regions held by the `Aggregated` events in one subscriber's buffer; past it the oldest events
 * are dropped as when the buffer is full (a lagging subscriber of a kdamond with many regions
 * would otherwise hold `eventBufferSize` copies of them all).
 */
export const MAX_BUFFERED_REGIONS = 1 << 20

/**
 * Regions of one snapshot given to the offline DAMOS transform, over all its targets: the most a
 * kdamond of this library can hold at an aggregation (twice {@link MAX_NR_REGIONS}).
 */
export const MAX_SNAPSHOT_REGIONS = 2 * MAX_NR_REGIONS

/** The array limits of one scheme input. */
export const schemeShape: Shape = {
  fields: {
    filters: { maxItems: { max: MAX_NR_FILTERS, what: "filters per scheme" } },
    dests: { maxItems: { max: MAX_NR_DESTS, what: "migration destinations per scheme" } },
    quota: { fields: { goals: { maxItems: { max: MAX_NR_GOALS, what: "quota goals per scheme" } } } }
  }
}

/** The array limits of a list of scheme inputs. */
export const schemesShape: Shape = {
  maxItems: { max: MAX_NR_SCHEMES, what: "schemes per context" },
  items: schemeShape
}

/**
 * The array limits of the schemes given to the offline transform: scheme inputs or running
 * schemes, whose quota resume target (a whole `Target`) is not read.
 */
export const transformSchemesShape: Shape = {
  maxItems: { max: MAX_NR_SCHEMES, what: "schemes per transform" },
  items: {
    fields: {
      ...schemeShape.fields,
      quota: { fields: { goals: { maxItems: { max: MAX_NR_GOALS, what: "quota goals per scheme" } }, chargeTargetFrom: { skip: true } } },
      coreFilters: { maxItems: { max: MAX_NR_FILTERS, what: "filters per scheme" } },
      opsFilters: { maxItems: { max: MAX_NR_FILTERS, what: "filters per scheme" } }
    }
  }
}

/** The array limits of a whole config input (`Damon.start`, `kdamond.commit`). */
export const configShape: Shape = {
  fields: {
    targets: {
      maxItems: { max: MAX_NR_TARGETS, what: "targets per context" },
      items: { fields: { regions: { maxItems: { max: MAX_NR_REGIONS, what: "regions per context" } } } }
    },
    schemes: schemesShape
  }
}

/** The array limits of a goals-only commit (`commitQuotaGoals`). */
export const goalsPerSchemeShape: Shape = {
  maxItems: { max: MAX_NR_SCHEMES, what: "schemes per context" },
  items: { maxItems: { max: MAX_NR_GOALS, what: "quota goals per scheme" } }
}
