/**
 * A history as a readable timeline: one line per invocation, run, completion and stop, with
 * world time and who did it; the regions of apply passes and walks are summed per pass.
 *
 * @since 0.2.0
 */
import type { Event, History, Outcome } from "./History.ts"

const outcomeText = (o: Outcome): string => {
  switch (o._tag) {
    case "Ok":
      return o.value === "" ? "ok" : `ok ${o.value}`
    case "Failed":
      return `failed ${o.reason}: ${o.message}`
    case "Interrupted":
      return "interrupted by its caller"
    case "InterruptedByOther":
      return "interrupted by someone else"
    case "Abandoned":
      return "NEVER COMPLETED (abandoned when the run ended)"
    case "Died":
      return `died: ${o.message}`
  }
}

/** Formats `history` as a timeline, one event per line. */
export const format = (history: History): string => {
  const lines: Array<[number, string, string]> = []
  let now = 0
  const tried = new Map<string, number>()
  const visits = new Map<string, number>()
  const flushVisits = () => {
    for (const [key, n] of visits) {
      const [id, pid, sis, scheme] = key.split("/")
      lines.push([now, `pid ${pid}`, `#${id} walk visited ${n} region(s) of scheme ${scheme} (sis ${sis})`])
    }
    visits.clear()
  }
  const line = (e: Event): void => {
    if ("atUs" in e) now = e.atUs
    if (e._tag !== "Visit") flushVisits()
    switch (e._tag) {
      case "Invoke":
        lines.push([now, e.client, `#${e.id} ${e.op}${e.detail === "" ? "" : ` ${e.detail}`}${e.kdamond >= 0 ? ` on pid ${e.kdamond}` : ""}`])
        return
      case "Accepted":
        lines.push([now, "", `#${e.id} accepted`])
        return
      case "Ran":
        lines.push([now, `pid ${e.kdamond}`, `#${e.id} ran (sis ${e.view.sis})${e.inOps ? " INSIDE AN OPS HOOK" : ""}${e.overlapped ? " OVERLAPPING" : ""}`])
        return
      case "Threw":
        lines.push([now, "", `#${e.id} threw${e.deliberate ? " (deliberately)" : ""}: ${e.message}`])
        return
      case "Visit": {
        const key = `${e.id}/${e.kdamond}/${e.sis}/${e.scheme}`
        visits.set(key, (visits.get(key) ?? 0) + 1)
        return
      }
      case "Tried": {
        const key = `${e.kdamond}/${e.sis}/${e.scheme}`
        tried.set(key, (tried.get(key) ?? 0) + 1)
        return
      }
      case "PassDone": {
        const key = `${e.kdamond}/${e.sis}/${e.scheme}`
        lines.push([now, `pid ${e.kdamond}`, `scheme ${e.scheme} finished its pass (sis ${e.sis}, ${tried.get(key) ?? 0} region(s) tried)`])
        tried.delete(key)
        return
      }
      case "Counters":
        lines.push([now, `pid ${e.kdamond}`, `#${e.id} read ${e.stats.samples} samples, ${e.stats.callsServed} calls served`])
        return
      case "Stopped":
        lines.push([now, `pid ${e.kdamond}`, e.leftovers.length === 0 ? "stopped" : `stopped, LEFT BEHIND: ${e.leftovers.join("; ")}`])
        return
      case "Note":
        lines.push([now, e.client, e.text])
        return
      case "ClientFailed":
        lines.push([now, e.client, `FAILED: ${e.message}`])
        return
      case "Complete":
        lines.push([now, "", `#${e.id} -> ${outcomeText(e.outcome)}`])
        return
    }
  }
  for (const e of history) line(e)
  flushVisits()
  const width = Math.max(8, ...lines.map(([t]) => String(t).length))
  const who = Math.max(7, ...lines.map(([, w]) => w.length))
  const head = `${"world us".padStart(width)}  ${"who".padEnd(who)}  event`
  return [head, ...lines.map(([t, w, text]) => `${String(t).padStart(width)}  ${w.padEnd(who)}  ${text}`)].join("\n")
}
