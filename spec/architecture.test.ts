/**
 * The layering rule, enforced: imports only point down. The engine never imports a concrete ops
 * set or the simulator; interfaces (sysfs, modules, HTTP, CLI) reach the engine only through its
 * public API; the pure layers use no Effect runtime services.
 */
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"

const root = new URL("../src/", import.meta.url).pathname

const files = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : []
  })

interface Import {
  readonly from: string
  readonly target: string
  readonly typeOnly: boolean
  readonly names: ReadonlyArray<string>
}

const importsOf = (file: string): Array<Import> => {
  const text = readFileSync(file, "utf8")
  const out: Array<Import> = []
  for (const m of text.matchAll(/^import\s+(type\s+)?([\s\S]*?)\s+from\s+"([^"]+)"/gm)) {
    const spec = m[3]!
    // `import * as Effect from "effect/Effect"` is the `Effect` of "effect", imported alone
    const effectModule = /^effect\/([A-Za-z]+)$/.exec(spec)
    const namespace = /^\*\s+as\s+(\w+)$/.exec((m[2] ?? "").trim())
    const target = spec.startsWith(".") ? relative(root, join(file, "..", spec)) : effectModule !== null && namespace !== null ? "effect" : spec
    const names = effectModule !== null && namespace !== null
      ? [`${m[1] !== undefined ? "type " : ""}${effectModule[1]}`]
      : (m[2] ?? "").replace(/[{}]/g, "").split(",").map((n) => n.trim()).filter((n) => n !== "")
    const allTypes = names.length > 0 && names.every((n) => n.startsWith("type "))
    out.push({ from: relative(root, file), target, typeOnly: m[1] !== undefined || allTypes, names })
  }
  return out
}

const all = files(root).flatMap(importsOf)
const layer = (path: string): string => {
  if (!path.endsWith(".ts")) return "external"
  if (path.startsWith("model/") || path.startsWith("internal/")) return "model"
  if (path.startsWith("core/")) return "core"
  if (["ops/DamonOps.ts", "ops/OpsRegistry.ts", "ops/AddressSpace.ts", "ops/FolioFilter.ts"].includes(path)) return "contract"
  if (path.startsWith("ops/")) return "ops"
  if (path.startsWith("sim/") || path.startsWith("spaces/")) return "adapter"
  if (path.startsWith("engine/")) return "engine"
  if (path === "Damon.ts" || path === "SchemesControl.ts") return "api"
  if (path === "index.ts") return "index"
  return "interface"
}

const violations = (pred: (i: Import) => boolean): Array<string> =>
  all.filter(pred).map((i) => `${i.from} -> ${i.target}${i.typeOnly ? " (type)" : ""}`)

describe("architecture", () => {
  it("src imports Effect's modules one by one, never the barrel (an entry point loads only what it uses)", () => {
    const barrel = [...new Set(files(root).filter((f) => /^import[^;]*?from\s+"effect"$/m.test(readFileSync(f, "utf8"))).map((f) => relative(root, f)))]
    assert.deepStrictEqual(barrel, [])
  })

  it("the pure layers import no Effect runtime services (no clock, randomness, fibers, queues)", () => {
    const pureAllowed = new Set(["Result", "Schema", "SchemaIssue", "Data", "Effect"])
    const bad = all.filter((i) =>
      (layer(i.from) === "model" || layer(i.from) === "core") && i.target === "effect" &&
      !i.from.endsWith("TransformStream.ts") &&
      i.names.some((n) => !pureAllowed.has(n.replace(/^type /, "")))
    )
    assert.deepStrictEqual(bad.map((i) => `${i.from}: ${i.names.join(", ")}`), [])
    assert.deepStrictEqual(
      violations((i) => (layer(i.from) === "model" || layer(i.from) === "core") && layer(i.target) === "external" && i.target !== "effect"),
      []
    )
    // Effect appears in pure code only to give Schema its decoding defaults
    for (const i of all.filter((x) => (layer(x.from) === "model" || layer(x.from) === "core") && x.names.includes("Effect"))) {
      assert.notMatch(readFileSync(join(root, i.from), "utf8"), /Effect\.(gen|sync|sleep|fork|runSync|runPromise)/, i.from)
    }
  })

  it("model and core never import the engine, the ops sets, the simulator or the interfaces", () => {
    assert.deepStrictEqual(
      violations((i) =>
        (layer(i.from) === "model" || layer(i.from) === "core") &&
        !["model", "core", "external"].includes(layer(i.target)) && !(layer(i.target) === "contract" && i.typeOnly)
      ),
      []
    )
  })

  it("the engine never imports a concrete ops set, the simulator or an interface", () => {
    assert.deepStrictEqual(
      violations((i) => layer(i.from) === "engine" && ["ops", "adapter", "api", "interface"].includes(layer(i.target))),
      []
    )
  })

  it("ops sets and address-space adapters never import the engine or the interfaces", () => {
    assert.deepStrictEqual(
      violations((i) => ["ops", "adapter"].includes(layer(i.from)) && ["engine", "api", "interface"].includes(layer(i.target))),
      []
    )
  })

  it("the engine, the core and the ops sets import nothing from the simulator or other adapters: they see the port", () => {
    assert.deepStrictEqual(
      violations((i) => ["model", "core", "contract", "ops", "engine"].includes(layer(i.from)) && layer(i.target) === "adapter"),
      []
    )
    // the port itself is what the ops sets are written over
    assert.isTrue(all.some((i) => i.from === "ops/vaddr.ts" && i.target === "ops/AddressSpace.ts"))
    assert.isTrue(all.some((i) => i.from === "ops/paddr.ts" && i.target === "ops/AddressSpace.ts"))
  })

  it("interfaces reach the engine only through its public API (Damon, SchemesControl, the Kdamond handle)", () => {
    const publicEngine = new Set(["engine/Kdamond.ts", "engine/Events.ts", "engine/KdamondStats.ts", "engine/World.ts"])
    // the testing kit observes kdamonds through the engine's internal seam (and names its types)
    const testingKit = (i: Import) =>
      i.from.startsWith("testing/") &&
      (i.target === "engine/EngineSeam.ts" || (i.typeOnly && ["engine/KdamondLoop.ts", "engine/Control.ts"].includes(i.target)))
    assert.deepStrictEqual(
      violations((i) =>
        layer(i.from) === "interface" && layer(i.target) === "engine" && !publicEngine.has(i.target) &&
        !(i.target === "engine/Control.ts" && i.typeOnly) && !testingKit(i)
      ),
      []
    )
  })

  it("only the testing kit reaches the engine's internal seam, and no other entry point loads the kit", () => {
    assert.deepStrictEqual(
      violations((i) => i.target === "engine/EngineSeam.ts" && !i.from.startsWith("testing/") && !i.from.startsWith("engine/")),
      []
    )
    assert.deepStrictEqual(violations((i) => i.target.startsWith("testing/") && !i.from.startsWith("testing/")), [])
  })
})
