import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { type DamonOpsFactory, OpsRegistry } from "effect-damon"

const vaddr: DamonOpsFactory = () => ({ id: "vaddr" })

describe("OpsRegistry", () => {
  // port: damon_test_ops_registration (mm/damon/tests/core-kunit.h)
  it("damon_test_ops_registration", () => {
    const registered = OpsRegistry.register({}, "vaddr", vaddr)
    assert.isTrue(Result.isSuccess(registered))
    const entries = Result.getOrThrow(registered)
    assert.isTrue(Result.isSuccess(OpsRegistry.make(entries).select("vaddr")))
    // double registration is refused
    const again = OpsRegistry.register(entries, "vaddr", vaddr)
    assert.isTrue(Result.isFailure(again) && again.failure.errno === "EINVAL")
    // an unknown id cannot be selected
    const unknown = OpsRegistry.make(entries).select("NR_DAMON_OPS")
    assert.isTrue(Result.isFailure(unknown) && unknown.failure.errno === "EINVAL")
    // after unregistration the id can be registered again
    const { vaddr: _dropped, ...unregistered } = entries
    assert.isTrue(Result.isSuccess(OpsRegistry.register(unregistered, "vaddr", vaddr)))
  })

  it("select - names the field, the value and the registered ids", () => {
    const r = OpsRegistry.make({ vaddr, paddr: () => ({ id: "paddr" }) }).select("fvaddr", "contexts[0].operations")
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) {
      assert.strictEqual(r.failure.message, "contexts[0].operations: \"fvaddr\" is invalid: must be a registered operations set (vaddr, paddr)")
    }
  })
})
