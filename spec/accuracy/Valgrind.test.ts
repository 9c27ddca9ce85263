/**
 * A real trace: the test builds a small C program, records it with valgrind lackey, and replays
 * the recording: the program's hot pages are exactly where its source says, and DAMON, watching
 * the replay through vaddr, finds them. Skipped, saying which tool is missing, on machines
 * without gcc or valgrind.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { Evaluate, LackeyTrace, PageTruth, TraceSpace } from "effect-damon/accuracy"

const has = (tool: string): boolean => {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}
const missing = ["gcc", "valgrind"].filter((t) => !has(t))
const why = missing.length === 0 ? "" : ` (skipped: ${missing.join(" and ")} not installed)`

/**
 * The hot loop runs long enough to dominate the trace whether the program is linked statically or
 * dynamically (a dynamic loader's startup is some 10^5 accesses of its own): at 400 rounds, a
 * dynamic build's windows were mostly loader and recall fell to 0-0.6.
 */
const source = `
#include <stdio.h>
static unsigned char buf[4 << 20];
int main(void) {
  printf("%lx\\n", (unsigned long)buf);
  for (int r = 0; r < 4000; r++)
    for (int p = 0; p < 64; p++) buf[p * 4096 + 64]++;
  return buf[64] == 0;
}
`

const dir = mkdtempSync(join(tmpdir(), "effect-damon-lackey-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let recorded: { readonly trace: string; readonly buf: number } | undefined

/** Builds and records the program once; returns the trace path and the buffer's address. */
const record = (): { readonly trace: string; readonly buf: number } => {
  if (recorded !== undefined) return recorded
  writeFileSync(join(dir, "hot.c"), source)
  const exe = join(dir, "hot")
  try {
    execFileSync("gcc", ["-O1", "-static", "-o", exe, join(dir, "hot.c")], { stdio: "ignore" })
  } catch {
    execFileSync("gcc", ["-O1", "-o", exe, join(dir, "hot.c")], { stdio: "ignore" })
  }
  const trace = join(dir, "hot.lackey")
  const out = execFileSync("valgrind", ["--tool=lackey", "--trace-mem=yes", `--log-file=${trace}`, exe], { encoding: "utf8" })
  recorded = { trace, buf: Number.parseInt(out.trim(), 16) }
  return recorded
}

describe("a trace recorded with valgrind lackey", () => {
  it.skipIf(missing.length > 0)(`records a program it builds and replays it: the hot pages are the program's${why}`, () => {
    const { trace, buf } = record()
    const parser = LackeyTrace.make({ source: trace })
    const truth = Result.getOrThrow(PageTruth.make({ tickUs: 1e12 }))
    const space = Result.getOrThrow(TraceSpace.make({ accessesPerUs: 1, truth, mapLeadRecords: 0 }))
    const bytes = readFileSync(trace)
    assert.isUndefined(parser.feed(bytes, space.push))
    assert.isUndefined(parser.end(space.push))
    const stats = parser.stats()
    assert.strictEqual(stats.badLines, 0)
    assert.isAbove(stats.commentLines, 3, "valgrind's header and footer")
    assert.isAtLeast(stats.modifies, 64 * 4000, "one read-modify-write per page per round")
    space.advance(stats.records + 1)
    const counts = truth.closeWindow(stats.records + 1)
    const firstPage = Math.floor(buf / 4096)
    const inBuf = new Map<number, number>()
    counts.pages.forEach((page, i) => {
      if (page >= firstPage && page < firstPage + 1024) inBuf.set(page - firstPage, counts.accesses[i]!)
    })
    assert.deepStrictEqual([...inBuf.keys()].sort((a, b) => a - b), Array.from({ length: 64 }, (_, p) => p))
    for (const [, n] of inBuf) assert.isAtLeast(n, 4000)
  }, 60_000)

  it.effect.skipIf(missing.length > 0)(`DAMON watching the replay through vaddr finds the program's hot pages${why}`, () =>
    Effect.gen(function*() {
      const { trace } = record()
      const e = yield* Evaluate.evaluateDamon(
        { kind: "trace", path: trace, accessesPerUs: 0.5, instructions: false },
        { durationUs: 1_200_000, attrs: { sampleIntervalUs: 1000, aggrIntervalUs: 20_000, opsUpdateIntervalUs: 100_000 } }
      )
      assert.isAbove(e.windows.length, 10)
      assert.isAtLeast(e.summary.hotRecall.median!, 0.8)
      assert.isAtMost(e.summary.wssErrorPct.median!, 50)
    }), 60_000)
})
