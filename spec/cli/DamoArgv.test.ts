import { assert, describe, it } from "@effect/vitest"
import { display, joinMultiValueFlags, SEP, wordsOf } from "../../src/cli/DamoArgv.ts"

describe("DamoArgv", () => {
  it("joins the words of damo's multi-value flags, exactly n or up to the next flag", () => {
    assert.deepStrictEqual(
      joinMultiValueFlags(["start", "--monitoring_intervals", "5ms", "100ms", "1s", "--damos_action", "migrate_hot", "1", "--damos_access_rate", "0", "0", "42"]),
      ["start", "--monitoring_intervals", `5ms${SEP}100ms${SEP}1s`, "--damos_action", `migrate_hot${SEP}1`, "--damos_access_rate", `0${SEP}0`, "42"]
    )
  })

  it("keeps quoted words whole and leaves other flags alone", () => {
    assert.deepStrictEqual(joinMultiValueFlags(["--damos_age", "5 s", "max", "--seed", "3"]), ["--damos_age", `5 s${SEP}max`, "--seed", "3"])
    assert.deepStrictEqual(wordsOf(`5 s${SEP}max`), ["5 s", "max"])
    assert.deepStrictEqual(wordsOf("0 0"), ["0", "0"])
  })

  it("a flag with too few words keeps what it has (its parser reports the count), and a lone flag stays lone", () => {
    assert.deepStrictEqual(joinMultiValueFlags(["--damos_access_rate", "0", "--damos_age", "--x"]), ["--damos_access_rate", "0", "--damos_age", "--x"])
    assert.strictEqual(display(`a${SEP}b`), "a b")
  })
})
