/**
 * The public API: typed configs (a misspelt field does not compile), the entry points' surface
 * (internals stay out), and what each entry point loads (only `effect-damon/http` reaches a
 * platform package).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")

describe("typed API", () => {
  it("a misspelt config field does not compile; the same calls spelt right do", async () => {
    const fixture = join(root, "spec/fixtures/typed-api/config.ts")
    const expected = readFileSync(fixture, "utf8").split("\n").flatMap((line, i) => (line.includes("// misspelt:") ? [i + 1] : []))
    const output = await new Promise<string>((done) =>
      execFile(
        process.execPath,
        [join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", join(root, "spec/fixtures/typed-api/tsconfig.json")],
        { cwd: root },
        (_error, stdout, stderr) => done(stdout + stderr)
      )
    )
    const failing = [...output.matchAll(/config\.ts\((\d+),\d+\): error TS\d+/g)].map((m) => Number(m[1]))
    assert.isAbove(expected.length, 5)
    assert.deepStrictEqual([...new Set(failing)], expected, output)
  }, 120_000)
})

/** Modules reachable from `file` through value imports (type-only imports load nothing). */
const reachable = (file: string, seen = new Set<string>(), external = new Set<string>()) => {
  if (seen.has(file)) return { seen, external }
  seen.add(file)
  const text = readFileSync(file, "utf8")
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?"([^"]+)"/gm)) {
    if (m[1] !== undefined) continue
    const spec = m[2]!
    if (spec.startsWith(".")) reachable(resolve(dirname(file), spec), seen, external)
    else external.add(spec)
  }
  return { seen, external }
}

describe("entry points", () => {
  const entries = {
    "effect-damon": "src/index.ts",
    "effect-damon/sim": "src/sim/index.ts",
    "effect-damon/sysfs": "src/sysfs/index.ts",
    "effect-damon/modules": "src/modules/index.ts",
    "effect-damon/report": "src/report/index.ts",
    "effect-damon/damo": "src/damo/index.ts",
    "effect-damon/accuracy": "src/accuracy/index.ts",
    "effect-damon/http": "src/http/index.ts",
    "effect-damon/testing": "src/testing/index.ts"
  }

  it("package.json maps each entry point to its sources and its build", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      readonly exports: Record<string, { readonly development: string; readonly default: string }>
    }
    for (const [name, src] of Object.entries(entries)) {
      const key = name === "effect-damon" ? "." : `./${name.slice("effect-damon/".length)}`
      assert.strictEqual(pkg.exports[key]?.development, `./${src}`, name)
      assert.strictEqual(pkg.exports[key]?.default, `./dist/${src.slice(4).replace(/\.ts$/, ".js")}`, name)
    }
  })

  it("only effect-damon/http loads a platform package or node:http", () => {
    for (const [name, src] of Object.entries(entries)) {
      const { external } = reachable(join(root, src))
      const platform = [...external].filter((e) => e.startsWith("@effect/platform") || e === "node:http" || e === "node:net")
      if (name === "effect-damon/http") assert.isTrue(platform.some((e) => e.startsWith("@effect/platform-node")), platform.join(", "))
      else assert.deepStrictEqual(platform, [], name)
    }
  })

  it("the main entry point does not reach the simulator, the admin tree, the modules, the interfaces or the testing kit", () => {
    const { seen } = reachable(join(root, "src/index.ts"))
    const inside = [...seen].map((f) => f.slice(join(root, "src/").length))
    assert.deepStrictEqual(inside.filter((f) => /^(sim|sysfs|modules|http|cli|report|damo|accuracy|testing)\//.test(f)), [])
  })

  it("effect-damon/testing loads neither the simulator nor the admin tree nor another interface, and exports no engine internals", async () => {
    const { seen } = reachable(join(root, "src/testing/index.ts"))
    const inside = [...seen].map((f) => f.slice(join(root, "src/").length))
    assert.deepStrictEqual(inside.filter((f) => /^(sim|sysfs|modules|http|cli|report|damo|accuracy)\//.test(f)), [])
    const testing = await import("effect-damon/testing")
    assert.includeMembers(Object.keys(testing), ["Arbitraries", "Explorer", "Invariants", "Scenario", "Scenarios", "Strategy", "Token"])
    assert.notInclude(Object.keys(testing), "EngineSeam")
  })

  it("internals are not public: the kdamond's start, the loop, commit and apply internals", async () => {
    const main = await import("effect-damon")
    const names = Object.keys(main)
    for (const internal of ["BuildCtx", "CommitCtx", "SetAttrs", "FeedLoop", "ApplySchemes", "RegionAdjust", "DamosCommit", "Quota"]) {
      assert.notInclude(names, internal)
    }
    assert.deepStrictEqual(Object.keys(main.Kdamond), [], "the Kdamond namespace holds types only")
    assert.include(names, "Damon")
    assert.include(names, "World")
    assert.include(names, "PageTable")
  })
})
