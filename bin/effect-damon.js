#!/usr/bin/env node
// The effect-damon command. In a clone (a checkout with src/, not inside node_modules) it runs
// the TypeScript sources directly (Node 24 strips the types), so `npm ci` is all it needs; an
// installed package runs the compiled dist/. Node's compile cache makes later starts faster.
import { existsSync } from "node:fs"
import module from "node:module"

module.enableCompileCache?.()
const sources = new URL("../src/cli/main.ts", import.meta.url)
const fromClone = !import.meta.url.includes("/node_modules/") && existsSync(sources)
await import(fromClone ? sources.href : new URL("../dist/cli/main.js", import.meta.url).href)
