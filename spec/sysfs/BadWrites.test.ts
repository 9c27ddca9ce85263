/**
 * Failed admin writes change nothing (issue 13, item 2). Two tests over a tree that has every
 * kind of directory: a corpus of bad values (signs, whitespace, non-UTF-8, out-of-range, 1 MB,
 * empty, NUL bytes) written to every writable file, and a seeded fuzz of 10 000 generated hostile
 * writes (hostile paths, texts and options too). After every write: no defect (only a typed
 * `DamonError` with the kernel's errno and a bounded message), and if it failed, every file of
 * the tree reads as before. Runtime budget: about 3 s of CPU each for the corpus (about 6 000
 * writes) and the fuzz (10 000), each write followed by a whole-tree `dump` (measured with
 * `process.cpuUsage()`; wall time was 6 s and 10 s on a 2-core machine at load average 9). The
 * fuzz's 10 000 are set by its rarest branches: a non-string path (3 % of writes), a non-string
 * text and hostile options (2 % each) still get some 200 writes apiece.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "../support/loopAssert.ts"
import { Cause, Effect, Exit } from "effect"
import { Rng } from "effect-damon"
import { isDamonError } from "../../src/model/DamonError.ts"
import { parseStateCommand } from "../../src/sysfs/StateCommand.ts"
import * as Sysfs from "../../src/sysfs/Sysfs.ts"
import { CTX, S0, sysfsLayer, writeAll } from "./support/TestOps.ts"

const MB = 1 << 20
/** Longest message a failed write may carry (a quoted value is cut to 256 characters). */
const MAX_MESSAGE = 4096

/** One kdamond whose tree holds one of every numbered directory. */
const setup = writeAll([
  ["kdamonds/nr_kdamonds", "1"],
  ["kdamonds/0/contexts/nr_contexts", "1"],
  [`${CTX}/targets/nr_targets`, "1"],
  [`${CTX}/targets/0/pid_target`, "42"],
  [`${CTX}/targets/0/regions/nr_regions`, "1"],
  [`${CTX}/schemes/nr_schemes`, "1"],
  [`${S0}/filters/nr_filters`, "1"],
  [`${S0}/core_filters/nr_filters`, "1"],
  [`${S0}/ops_filters/nr_filters`, "1"],
  [`${S0}/quotas/goals/nr_goals`, "1"],
  [`${S0}/dests/nr_dests`, "1"]
])

/** The whole tree as one string: every file's path and content. */
const snapshot = Effect.flatMap(Sysfs.Sysfs, (fs) => Effect.map(fs.dump(""), (d) => d.map(([p, t]) => `${p}=${t}`).join("\n")))

/** A path's mode never changes: `stat` once per path. */
const modes = new Map<string, number>()

/** Every writable file of the tree. */
const writable = Effect.gen(function*() {
  const fs = yield* Sysfs.Sysfs
  const out: Array<string> = []
  for (const [path] of yield* fs.dump("")) {
    let mode = modes.get(path)
    if (mode === undefined) {
      const st = yield* fs.stat(path)
      mode = st.kind === "file" ? st.mode : 0
      modes.set(path, mode)
    }
    if (mode === 0o600) out.push(path)
  }
  return out
})

const corpus: ReadonlyArray<string> = [
  // signs
  "-1", "-0", "+-1", "-+1", "--1", "++1", "+", "-", "- 1", "-0x1", "+0x", "-18446744073709551615", "-2147483649",
  // whitespace
  " 1", "1 ", "\t1", "1\t", "1\r\n", "1\n\n", "\n1", "\n", " ", "\r", "\v1", "\f1", "1\u00a0", "\u20281", "\u3000",
  // non-UTF-8 bytes, as a decoder hands them over (U+FFFD) or as lone surrogates
  "\uFFFD", "1\uFFFD", "\uD800", "1\uDC00", "\uDBFF\uDBFF", "\u00ff\u00fe", "\u0080",
  // out of range and not numbers
  "18446744073709551616", "340282366920938463463374607431768211456", "0x10000000000000000", "4294967296",
  "2147483648", "9".repeat(40), "65537", "1e3", "1.5", "0b1", "Infinity", "NaN", "0x", "0xg", "08", "09",
  // keywords gone wrong
  "On", "ON", " on", "on ", "of", "offf", "commit\n\n", "update_schemes_tried_regions\r\n", "anon ", "Y ".repeat(3000),
  // NUL bytes
  "\0", "\u00001", "\0\0\0", "x\0", "\0on",
  // 1 MB values
  "9".repeat(MB), "x".repeat(MB), `1${" ".repeat(MB)}`, "\0".repeat(MB), "é".repeat(MB / 2), "-".repeat(MB)
]

/** Fails the test unless `exit` is a success or a typed failure with a bounded message; returns "ok" or the errno. */
const outcome = (exit: Exit.Exit<void, unknown>, what: string): string => {
  if (Exit.isSuccess(exit)) return "ok"
  // the message (the cause's stack, source-mapped) only when it fails: a third of the file's CPU
  const dies = Cause.hasDies(exit.cause)
  assert.isFalse(dies, dies ? `${what}: defect ${Cause.pretty(exit.cause)}` : what)
  assert.isFalse(Cause.hasInterrupts(exit.cause), `${what}: interrupted`)
  const e = Cause.findErrorOption(exit.cause)
  assert.isTrue(e._tag === "Some" && isDamonError(e.value), `${what}: not a DamonError`)
  const error = e._tag === "Some" && isDamonError(e.value) ? e.value : undefined
  assert.isAtMost(error!.message.length, MAX_MESSAGE, `${what}: message of ${error!.message.length} characters`)
  return error!.errno
}

const show = (text: unknown): string => (typeof text === "string" ? JSON.stringify(text.slice(0, 40)) : String(typeof text))

describe("BadWrites", () => {
  it.effect("a corpus of bad values in every writable file: typed errors, bounded messages, the tree unchanged", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup
      const files = yield* writable
      assert.isAbove(files.length, 80)
      const errnos = new Map<string, number>()
      let before = yield* snapshot
      for (const path of files) {
        for (const text of corpus) {
          const result = outcome(yield* Effect.exit(fs.write(path, text)), `${path} <- ${show(text)}`)
          errnos.set(result, (errnos.get(result) ?? 0) + 1)
          if (result === "ok") {
            // Accepted (as the kernel would: "+1" is a number, a path file takes any text):
            // start again from the same tree.
            yield* setup
            before = yield* snapshot
            continue
          }
          assert.include(["EINVAL", "ERANGE", "ENOMEM"], result, `${path} <- ${show(text)}`)
          const after = yield* snapshot
          assert.isTrue(after === before, `${path} <- ${show(text)} failed (${result}) but changed the tree`)
        }
        // An empty write stores nothing and succeeds (sysfs_kf_write()).
        assert.strictEqual(outcome(yield* Effect.exit(fs.write(path, "")), path), "ok")
        assert.isTrue((yield* snapshot) === before, `${path} <- "" changed the tree`)
      }
      // The corpus is mostly refused, with the kernel's errnos.
      assert.isAbove(errnos.get("EINVAL") ?? 0, (errnos.get("ok") ?? 0) * 2)
      assert.isAbove(errnos.get("ERANGE") ?? 0, 0)
    }).pipe(Effect.provide(sysfsLayer({ memcgs: { "/workload": 3 } }))))

  it.effect("a write longer than a page: every page is checked before any is stored; the last page is what stays", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup
      yield* fs.write(`${CTX}/targets/0/regions/nr_regions`, "0")
      const before = yield* snapshot
      // Page 1 alone ("Y" and junk) would be a valid bool, page 2 is not: nothing is stored (the
      // kernel would keep page 1).
      const bool = `${S0}/filters/0/matching`
      assert.strictEqual((yield* Effect.flip(fs.write(bool, `Y${"x".repeat(5000)}`))).errno, "EINVAL")
      // "off" padded with NULs to two pages: the second page is no keyword, nothing runs.
      assert.strictEqual((yield* Effect.flip(fs.write("kdamonds/0/state", `off${"\0".repeat(5000)}`))).errno, "EINVAL")
      assert.isTrue((yield* snapshot) === before)
      // Every page valid: storing each in turn leaves the last one (octal 0, then octal 07).
      yield* fs.write(`${S0}/quotas/ms`, `${"0".repeat(5000)}7`)
      assert.strictEqual(yield* fs.read(`${S0}/quotas/ms`), "7\n")
      // A path file keeps its last page, as the kernel's would.
      yield* fs.write(`${S0}/filters/0/memcg_path`, `${"a".repeat(4096)}${"b".repeat(10)}`)
      assert.strictEqual(yield* fs.read(`${S0}/filters/0/memcg_path`), `${"b".repeat(10)}\n`)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("messages quote at most 256 characters of a path or value, and say how much was left out", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      yield* setup
      const huge = "9".repeat(MB)
      const e = yield* Effect.flip(fs.write(`${S0}/apply_interval_us`, huge))
      assert.strictEqual(e.errno, "ERANGE")
      assert.include(e.message, "... (3840 more characters)")
      assert.isAtMost(e.message.length, 600)
      const lost = yield* Effect.flip(fs.read(`kdamonds/${"x".repeat(MB)}`))
      assert.strictEqual(lost.errno, "ENOENT")
      assert.isAtMost(lost.message.length, 600)
      // A value that reaches a config build (a memcg path of a page) is cut the same way.
      yield* fs.write(`${CTX}/targets/0/regions/nr_regions`, "0")
      yield* fs.write(`${S0}/filters/0/type`, "memcg")
      yield* fs.write(`${S0}/filters/0/memcg_path`, "/".repeat(4000))
      const built = yield* Effect.flip(fs.readConfig(0))
      assert.strictEqual(built.errno, "EINVAL")
      assert.include(built.message, "more characters)")
      assert.isAtMost(built.message.length, 1200)
    }).pipe(Effect.provide(sysfsLayer())))

  it.effect("fuzz: 10 000 generated hostile writes (seed 13): no defect, and no failed write changes the tree", () =>
    Effect.gen(function*() {
      const fs = yield* Sysfs.Sysfs
      const rng = Rng.makeRng(13)
      const pick = <A>(xs: ReadonlyArray<A>): A => xs[rng.rand(0, xs.length)]!
      const chars = () => Array.from({ length: rng.rand(1, 12) }, () => String.fromCharCode(rng.rand(0, 0x10000))).join("")
      const numbers = ["0", "1", "7", "65536", "4096", "2147483647", "4294967295", "18446744073709551615", "0x1f", "017"]
      const fragment = (): string => {
        switch (rng.rand(0, 6)) {
          case 0:
            return pick(corpus.filter((c) => c.length < 5000))
          case 1:
            return chars()
          case 2:
            return `${pick(["", "+", "-", " ", "\t", "\0", "0x", "\n"])}${pick(numbers)}${pick(["", "\n", " ", "\0x", "x", "\n\n"])}`
          case 3:
            return pick(["on", "off", "commit", "Y", "N", "anon", "addr", "stat", "vaddr", "none"]) + pick(["", " ", "!", "\r"])
          case 4:
            return pick(numbers).repeat(rng.rand(2, 40))
          default:
            return rng.rand(0, 100) === 0 ? pick(["9", "é", "\0", "ab"]).repeat(rng.rand(4000, 70_000)) : chars()
        }
      }
      const hostilePath = (files: ReadonlyArray<string>): string => {
        const file = pick(files)
        switch (rng.rand(0, 8)) {
          case 0:
            return `/${file}`
          case 1:
            return `${file}/../${file}`
          case 2:
            return file.replace("/0/", pick(["/00/", "/-0/", "/1e0/", "/0x0/", "/+0/", "/ 0/", "/1/"]))
          case 3:
            return `${file}${pick(["/", "\0", " ", "\n", "/x"])}`
          case 4:
            return "kdamonds/".repeat(rng.rand(1, 2000))
          case 5:
            return chars()
          case 6:
            return file.slice(0, file.lastIndexOf("/"))
          default:
            return file.replace(/[a-z]/, (c) => c.toUpperCase())
        }
      }
      const throwing = { toString: () => { throw new Error("hostile") } }
      const hostileOptions: ReadonlyArray<unknown> = [
        { timeout: Number.NaN },
        { timeout: -5 },
        { timeout: "soon" },
        { timeout: throwing },
        new Proxy({}, { get: () => { throw new Error("hostile getter") } })
      ]
      yield* setup
      let files = yield* writable
      let before = yield* snapshot
      let failures = 0
      for (let i = 0; i < 10_000; i++) {
        const roll = rng.rand(0, 100)
        let path: unknown = roll < 85 ? pick(files) : hostilePath(files)
        let text: unknown = Array.from({ length: rng.rand(1, 3) }, fragment).join("")
        let options: unknown = undefined
        if (roll >= 97) path = pick<unknown>([undefined, 7, null, throwing, ["kdamonds"]])
        else if (roll >= 95) text = pick<unknown>([undefined, 42, null, throwing, Symbol("x"), { length: 3 }])
        else if (roll >= 93) options = pick(hostileOptions)
        // No command runs here (the command tests drive them): a state write that names a keyword
        // is refused before it is made.
        if (typeof path === "string" && path.endsWith("/state") && typeof text === "string" && parseStateCommand(text)) {
          text = `${text}!`
        }
        const what = `#${i} ${show(path)} <- ${show(text)}`
        const write = fs.write(path as string, text as string, options as Sysfs.WriteOptions)
        const result = outcome(yield* Effect.exit(write), what)
        if (result === "ok") {
          // Keep the tree small so that a whole-tree comparison stays cheap: a count file that
          // grew past 4 starts the tree again.
          const written = path as string
          const grown = /(^|\/)nr_[a-z]+$/.test(written) && Number((yield* fs.read(written)).trim()) > 4
          if (grown) yield* setup
          before = yield* snapshot
          files = yield* writable
          continue
        }
        failures++
        assert.isTrue((yield* snapshot) === before, `${what} failed (${result}) but changed the tree`)
      }
      assert.isAbove(failures, 8000)
    }).pipe(Effect.provide(sysfsLayer({ memcgs: { "/workload": 3 } }))), 120_000)
})
