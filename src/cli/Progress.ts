/**
 * Progress of a long run on a terminal: after two seconds of wall time, one line on stderr,
 * rewritten in place at most five times a second: a bar, the share done, what was done, the
 * elapsed time and an ETA from the average rate so far. Shown only when stderr is a TTY (or
 * `EFFECT_DAMON_PROGRESS=always`; `never` hides it), and erased when the run ends, so pipes and
 * logs never see it. Time comes from Effect's `Clock`.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/** The progress line of a run `fraction` (0..1) done after `elapsedMs`. Pure. */
export const formatProgress = (fraction: number, elapsedMs: number, what: string, width = 24): string => {
  const f = Math.min(1, Math.max(0, fraction))
  const filled = Math.round(f * width)
  const eta = f > 0 ? (elapsedMs * (1 - f)) / f : Number.NaN
  const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s` : "?")
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  ${what}  ` +
    `elapsed ${secs(elapsedMs)}, ETA ${secs(eta)}`
}

/** A progress display. */
export interface Progress {
  /** Reports how far the run is (0..1) and what that means (e.g. `12.0 of 60 s virtual`). */
  readonly update: (fraction: number, what: string) => Effect.Effect<void>
  /** Erases the line (if shown). */
  readonly done: Effect.Effect<void>
}

/** Whether progress goes to this stderr (a TTY, unless `EFFECT_DAMON_PROGRESS` says otherwise). */
export const progressWanted = (): boolean => {
  const env = process.env["EFFECT_DAMON_PROGRESS"]
  if (env === "always") return true
  if (env === "never") return false
  return process.stderr.isTTY === true
}

/** Starts a progress display; it shows nothing for runs shorter than `afterMs` (2 s). */
export const makeProgress = (afterMs = 2000): Effect.Effect<Progress> =>
  Effect.gen(function*() {
    const enabled = progressWanted()
    const t0 = yield* Clock.currentTimeMillis
    let lastDraw = -Infinity
    let shown = false
    const write = (s: string) => Effect.sync(() => void process.stderr.write(s))
    return {
      update: (fraction, what) =>
        !enabled ? Effect.void : Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const elapsed = now - t0
          if (elapsed < afterMs || now - lastDraw < 200) return
          lastDraw = now
          shown = true
          yield* write(`\r${formatProgress(fraction, elapsed, what)}\u001b[K`)
        }),
      done: Effect.suspend(() => (shown ? write("\r\u001b[K") : Effect.void))
    }
  })
