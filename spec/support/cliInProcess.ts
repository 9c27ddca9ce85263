/**
 * The `effect-damon` command in this process: `runCli` (what `src/cli/main.ts` runs) with Node's
 * services, its console a Node `Console` writing to strings, so a test gets the stdout, stderr
 * and exit status the executable would give, byte for byte, without a process start (about a
 * second of CPU each: Node loading the CLI's ~400 modules; docs/performance.md, "Test suite").
 * `env` is set in `process.env` for the run (the CLI reads `EFFECT_DAMON_SERVER` from there) and
 * restored after, only where it differs (runs that set different values must not overlap); an
 * `EFFECT_DAMON_SERVER` of the shell running the tests is hidden unless `env` gives one. `onStdout`
 * sees the stdout so far after every write (a long-running command's banner). `stdin` stands in
 * for `process.stdin` during the run (what `--trace -` reads; runs that give one must not
 * overlap). Only what a real process alone shows (the bin, signals, the exit status reaching the
 * shell, a real pipe on stdin) needs `bin/effect-damon.js` spawned.
 */
import { NodeServices } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Console as NodeConsole } from "node:console"
import type { Readable } from "node:stream"
import { Writable } from "node:stream"
import { runCli } from "../../src/cli/CliRun.ts"
import { serverEnv } from "../../src/cli/ServerUrl.ts"

/** What a run of the command gave. */
export interface CliRan {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const textSink = (onWrite: (text: string) => void = () => {}) => {
  let text = ""
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      text += String(chunk)
      onWrite(text)
      done()
    }
  })
  return { stream, text: () => text }
}

const withEnv = <A, E, R>(env: Readonly<Record<string, string>>, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const changed = Object.entries(env).filter(([k, v]) => process.env[k] !== v)
      const saved = changed.map(([k]) => [k, process.env[k]] as const)
      for (const [k, v] of changed) process.env[k] = v
      return saved
    }),
    () => effect,
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )

/** `stdin` as `process.stdin` while `effect` runs (the descriptor, a getter, restored after). */
const withStdin = <A, E, R>(stdin: Readable | undefined, effect: Effect.Effect<A, E, R>) =>
  stdin === undefined ? effect : Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = Object.getOwnPropertyDescriptor(process, "stdin")!
      Object.defineProperty(process, "stdin", { value: stdin, configurable: true, enumerable: true })
      return saved
    }),
    () => effect,
    (saved) => Effect.sync(() => void Object.defineProperty(process, "stdin", saved))
  )

/** How to run it: environment variables for the run, a watcher of stdout, a stdin. */
export interface CliInProcessOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly onStdout?: (stdoutSoFar: string) => void
  readonly stdin?: Readable
}

/** Runs `effect-damon <argv>` in-process to its end; interruption interrupts it (as Ctrl-C does). */
export const runCliInProcess = (argv: ReadonlyArray<string>, options: CliInProcessOptions = {}): Effect.Effect<CliRan> =>
  Effect.suspend(() => {
    const out = textSink(options.onStdout)
    const err = textSink()
    const console = new NodeConsole({ stdout: out.stream, stderr: err.stream })
    return runCli(argv).pipe(
      Effect.provideService(Console.Console, console),
      Effect.provide(NodeServices.layer),
      (run) => withEnv({ ...(process.env[serverEnv] ? { [serverEnv]: "" } : {}), ...options.env }, run),
      (run) => withStdin(options.stdin, run),
      Effect.map((code) => ({ code, stdout: out.text(), stderr: err.text() }))
    )
  })
