/**
 * A property test of a small component with `effect-damon/testing`: a hit counter clients bump
 * through `damonCall`, checked under 200 PCT schedules by every kit invariant and its own (no
 * bump lost); the racy version is caught and shrunk. Run: `node --conditions=development examples/08-property-test.ts`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Arbitrary, Console, Effect, Schema } from "effect"
import { Explorer, Scenario, Scenarios } from "effect-damon/testing"

/** Reads then writes the counter on two calls (racy), or bumps it in one. */
const counter = (atomic: boolean) => {
  const hits = { value: 0 }
  return Scenario.make({
    id: atomic ? "counter" : "racy-counter",
    config: Scenarios.configs[0]!,
    op: Arbitrary.schema(Schema.Literal("bump")),
    setup: () => Effect.sync(() => void (hits.value = 0)),
    perform: (_op, client) => Effect.orDie(Effect.gen(function*() {
      const seen = yield* client.kdamond.damonCall(() => (atomic ? hits.value++ : hits.value))
      if (!atomic) yield* client.kdamond.damonCall(() => void (hits.value = seen + 1))
      yield* client.note(`bumped ${seen}`)
    })),
    invariants: [{ name: "noLostBump", description: "every bump counts once", check: ({ history }) => {
      const notes = history.flatMap((e) => (e._tag === "Note" ? [e.text] : []))
      return new Set(notes).size === notes.length ? [] : [`a bump was lost: ${notes.join(", ")}`]
    } }]
  })
}

export const main = Effect.gen(function*() {
  const ok = yield* Explorer.explore(counter(true), { schedules: 200 })
  yield* Console.log(`counter: ${ok._tag === "Passed" ? `${ok.schedules} schedules passed` : "FAILED"}`)
  const racy = yield* Explorer.explore(counter(false), { schedules: 200 })
  if (racy._tag === "Failed") yield* Console.log(Explorer.formatReport(counter(false), racy))
})

if (import.meta.main) NodeRuntime.runMain(main)
