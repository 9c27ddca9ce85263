#!/usr/bin/env node
// The effect-damon command. In a clone (a checkout with src/, not inside node_modules) it runs
// the TypeScript sources directly (Node 24 strips the types), so `npm ci` is all it needs; an
// installed package runs the compiled dist/. Node's compile cache makes later starts faster.
//
// Long-running commands (record, demo, start, serve) run in a child Node with a small young
// generation (--max-semi-space-size=4): the monitor allocates fast and keeps little, and with
// V8's default the heap grows far past what is live (a 10-minute record at 1000 regions peaks
// at ~310 MiB instead of ~195 MiB, for the same CPU time). Signals are passed on to the child;
// its exit status is this process's. Short commands (--help, report, ...) run here.
//
// `--version` alone is answered from package.json without loading the CLI (which loads Effect:
// some 300 ms to a second): the same line the command tree prints (spec/cli/Binary.test.ts).
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import module from "node:module"
import { constants } from "node:os"
import { fileURLToPath } from "node:url"

const HEAP_FLAG = "--max-semi-space-size=4"
const longRunning = new Set(["record", "demo", "start", "serve"])
const command = process.argv[2] ?? (process.env.npm_lifecycle_event === "start" ? "demo" : "")

if (process.argv.length === 3 && command === "--version") {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
  process.stdout.write(`effect-damon v${version}\n`)
} else if (longRunning.has(command) && !process.execArgv.includes(HEAP_FLAG) && !process.argv.includes("--help")) {
  const child = spawn(process.execPath, [...process.execArgv, HEAP_FLAG, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit"
  })
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal))
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal] ?? 0)
  })
} else {
  module.enableCompileCache?.()
  const sources = new URL("../src/cli/main.ts", import.meta.url)
  const fromClone = !import.meta.url.includes("/node_modules/") && existsSync(sources)
  await import(fromClone ? sources.href : new URL("../dist/cli/main.js", import.meta.url).href)
}
