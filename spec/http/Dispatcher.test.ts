/**
 * The dispatcher that admits requests to the application: limits per connection and in total,
 * arrival order per connection, reading paused exactly while something waits (not merely at the
 * limit: the last request started may still be receiving its body), waiting requests started in later turns round-robin, at most `maxActive` per
 * turn, a connection with nothing active never kept waiting, and nothing lost or started twice.
 * Checked on examples and on seeded random runs.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeRng } from "../../src/core/Rng.ts"
import * as Dispatcher from "../../src/http/Dispatcher.ts"

/** A dispatcher whose "later turns" run when the test says so, with connections that record. */
const harness = (limits: Dispatcher.DispatchLimits) => {
  const tasks: Array<() => void> = []
  const d = Dispatcher.make<string>(limits, (task) => void tasks.push(task))
  const started: Array<string> = []
  const conns = new Map<string, { readonly c: Dispatcher.Connection<string>; readonly io: Array<string> }>()
  const open = (name: string) => {
    const io: Array<string> = []
    const c = d.connect({
      dispatch: (r) => void started.push(r),
      pause: () => void io.push("pause"),
      resume: () => void io.push("resume"),
      overflow: () => void io.push("overflow")
    })
    conns.set(name, { c, io })
    return c
  }
  /** Runs the next scheduled turn; returns how many requests it started. */
  const turn = () => {
    const before = started.length
    tasks.shift()?.()
    return started.length - before
  }
  /** Runs turns until none is scheduled. */
  const settle = () => {
    while (h.tasks.length > 0) turn()
  }
  const h = { d, open, started, conns, tasks, turn, settle }
  return h
}

describe("Dispatcher", () => {
  it("a keep-alive client (one request at a time) starts at once and is never paused", () => {
    const h = harness({ maxActivePerConnection: 4, maxActive: 8, startsPerTurn: 8, maxWaitingPerConnection: 1_000_000 })
    const a = h.open("a")
    for (let i = 0; i < 100; i++) {
      a.admit(`a${i}`)
      assert.strictEqual(h.started.at(-1), `a${i}`)
      a.done()
    }
    assert.deepStrictEqual(h.conns.get("a")!.io, [])
    assert.strictEqual(h.tasks.length, 0)
  })

  it("pipelining: the connection limit starts some, the rest wait in order and reading pauses", () => {
    const h = harness({ maxActivePerConnection: 2, maxActive: 8, startsPerTurn: 8, maxWaitingPerConnection: 1_000_000 })
    const a = h.open("a")
    for (let i = 0; i < 5; i++) a.admit(`a${i}`)
    assert.deepStrictEqual(h.started, ["a0", "a1"])
    assert.deepStrictEqual([a.active(), a.waiting(), a.paused()], [2, 3, true])
    assert.deepStrictEqual(h.conns.get("a")!.io, ["pause"])
    // An answer does not start the next one in the same turn: it waits for a later turn.
    a.done()
    assert.deepStrictEqual(h.started, ["a0", "a1"])
    assert.strictEqual(h.turn(), 1)
    assert.deepStrictEqual(h.started, ["a0", "a1", "a2"])
    a.done()
    a.done()
    h.settle()
    assert.deepStrictEqual(h.started, ["a0", "a1", "a2", "a3", "a4"])
    // at the limit with nothing waiting: read again (a4 may still be receiving its body)
    assert.deepStrictEqual([a.active(), a.waiting(), a.paused()], [2, 0, false])
    assert.deepStrictEqual(h.conns.get("a")!.io, ["pause", "resume"])
  })

  it("the total limit: a connection with nothing active still starts at once; others wait for a slot", () => {
    const h = harness({ maxActivePerConnection: 4, maxActive: 4, startsPerTurn: 4, maxWaitingPerConnection: 1_000_000 })
    const a = h.open("a")
    const b = h.open("b")
    for (let i = 0; i < 10; i++) a.admit(`a${i}`)
    assert.strictEqual(h.d.active(), 4)
    b.admit("b0")
    assert.deepStrictEqual(h.started.slice(4), ["b0"], "a keep-alive client never waits behind a pipeliner")
    b.admit("b1")
    assert.deepStrictEqual([b.active(), b.waiting(), b.paused()], [1, 1, true])
    a.done()
    a.done()
    h.settle()
    // total 5 > 4 until two answers: then the ring serves b before a's deeper queue
    assert.deepStrictEqual(h.started.slice(5), ["b1"])
    assert.strictEqual(h.d.active(), 4)
  })

  it("a turn starts at most startsPerTurn requests, one per connection, round-robin", () => {
    const h = harness({ maxActivePerConnection: 100, maxActive: 3, startsPerTurn: 3, maxWaitingPerConnection: 1_000_000 })
    const conns = ["a", "b", "c", "d", "e"].map((n) => h.open(n))
    for (let i = 0; i < 5; i++) conns.forEach((c, k) => c.admit(`${"abcde"[k]}${i}`))
    // a0, b0, c0 fill the total; d0 and e0 start anyway (nothing active on d, e)
    assert.deepStrictEqual(h.started, ["a0", "b0", "c0", "d0", "e0"])
    for (const c of conns) c.done()
    assert.strictEqual(h.turn(), 3)
    assert.deepStrictEqual(h.started.slice(5), ["a1", "b1", "c1"])
    // d and e kept their place at the front of the ring
    for (const c of conns.slice(0, 3)) c.done()
    assert.strictEqual(h.turn(), 3)
    assert.deepStrictEqual(h.started.slice(8), ["d1", "e1", "a2"])
  })

  it("a request past maxWaitingPerConnection cuts the connection: nothing more is queued or started", () => {
    const h = harness({ maxActivePerConnection: 1, maxActive: 4, startsPerTurn: 4, maxWaitingPerConnection: 3 })
    const a = h.open("a")
    for (let i = 0; i < 4; i++) a.admit(`a${i}`)
    assert.deepStrictEqual([a.active(), a.waiting()], [1, 3])
    assert.deepStrictEqual(h.conns.get("a")!.io, ["pause"])
    a.admit("a4")
    assert.deepStrictEqual(h.conns.get("a")!.io, ["pause", "overflow"])
    assert.strictEqual(a.waiting(), 0)
    a.admit("a5")
    a.done()
    h.settle()
    assert.deepStrictEqual(h.started, ["a0"])
    assert.strictEqual(h.d.active(), 0)
  })

  it("a closed connection's waiting requests are dropped; its active ones still end", () => {
    const h = harness({ maxActivePerConnection: 1, maxActive: 1, startsPerTurn: 1, maxWaitingPerConnection: 1_000_000 })
    const a = h.open("a")
    const b = h.open("b")
    a.admit("a0")
    a.admit("a1")
    b.admit("b0")
    a.close()
    a.admit("a2")
    assert.strictEqual(a.waiting(), 0)
    a.done()
    h.turn()
    assert.deepStrictEqual(h.started, ["a0", "b0"])
    b.done()
    assert.strictEqual(h.d.active(), 0)
  })

  it("a dispatch that answers synchronously does not recurse (10 000 queued, one turn each)", () => {
    const tasks: Array<() => void> = []
    let started = 0
    const d = Dispatcher.make<number>({ maxActivePerConnection: 1, maxActive: 1, startsPerTurn: 1, maxWaitingPerConnection: 1_000_000 }, (t) => void tasks.push(t))
    const c: Dispatcher.Connection<number> = d.connect({
      dispatch: () => {
        started++
        c.done()
      },
      pause: () => {},
      resume: () => {},
      overflow: () => assert.fail("overflow")
    })
    for (let i = 0; i < 10_000; i++) c.admit(i)
    while (tasks.length > 0) tasks.shift()!()
    assert.strictEqual(started, 10_000)
    assert.deepStrictEqual([c.active(), c.waiting(), c.paused()], [0, 0, false])
  })

  it("random runs (seeded): limits, order, pause state, at most startsPerTurn per turn, nothing lost", () => {
    const rng = makeRng(13)
    for (let run = 0; run < 300; run++) {
      const perConnection = 1 + rng.rand(0, 4)
      const maxActive = 1 + rng.rand(0, 6)
      const startsPerTurn = 1 + rng.rand(0, 6)
      const maxWaiting = 1 + rng.rand(0, 12)
      const tasks: Array<() => void> = []
      const d = Dispatcher.make<number>(
        { maxActivePerConnection: perConnection, maxActive, startsPerTurn, maxWaitingPerConnection: maxWaiting },
        (t) => void tasks.push(t)
      )
      interface Model {
        readonly conn: Dispatcher.Connection<number>
        readonly admitted: Array<number>
        readonly started: Array<number>
        readonly active: Array<number>
        paused: boolean
        closed: boolean
        overflowed: boolean
      }
      const models: Array<Model> = []
      let next = 0
      for (let i = 0; i < 1 + rng.rand(0, 4); i++) {
        const m: Model = {
          conn: undefined as never,
          admitted: [],
          started: [],
          active: [],
          paused: false,
          closed: false,
          overflowed: false
        }
        const conn = d.connect({
          dispatch: (r) => {
            if (m.admitted[m.started.length] !== r) assert.fail(`started ${r} out of arrival order`)
            m.started.push(r)
            m.active.push(r)
          },
          pause: () => {
            assert.isFalse(m.paused, "pause twice")
            m.paused = true
          },
          resume: () => {
            assert.isTrue(m.paused, "resume while not paused")
            m.paused = false
          },
          overflow: () => {
            if (m.closed) assert.fail("overflow of a closed connection")
            if (m.conn.waiting() !== 0) assert.fail("an overflowing connection keeps nothing waiting")
            m.overflowed = true
          }
        })
        models.push(Object.assign(m, { conn }))
      }
      /** The invariants, checked after every step (plain conditions: this runs 100 000 times). */
      const check = () => {
        let total = 0
        for (const m of models) {
          total += m.active.length
          if (m.active.length > perConnection) assert.fail(`${m.active.length} active > ${perConnection}`)
          if (m.conn.active() !== m.active.length) assert.fail("active count")
          if (m.closed) continue
          if (m.started.length + m.conn.waiting() !== m.admitted.length) assert.fail("a request was lost")
          if (m.paused !== m.conn.waiting() > 0) assert.fail("pause state")
        }
        if (total > maxActive + models.length) assert.fail(`${total} active > ${maxActive} + connections`)
        if (d.active() !== total) assert.fail("total active count")
      }
      for (let step = 0; step < 200; step++) {
        const m = models[rng.rand(0, models.length)]!
        const op = rng.rand(0, 10)
        if (op < 5) {
          const full = !m.closed && m.conn.waiting() >= maxWaiting
          if (!m.closed && !full) m.admitted.push(next)
          m.conn.admit(next++)
          if (full) {
            assert.isTrue(m.overflowed, "a request past maxWaitingPerConnection cuts the connection")
            m.closed = true
          }
        } else if (op < 8 && m.active.length > 0) {
          m.active.splice(rng.rand(0, m.active.length), 1)
          m.conn.done()
        } else if (op < 9 && tasks.length > 0) {
          const before = models.reduce((n, x) => n + x.started.length, 0)
          tasks.shift()!()
          assert.isAtMost(models.reduce((n, x) => n + x.started.length, 0) - before, startsPerTurn, "starts per turn")
        } else if (rng.rand(0, 20) === 0) {
          m.closed = true
          m.conn.close()
        }
        check()
      }
      // Drain: answer everything, run every turn; every open connection's request has started.
      for (let guard = 0; guard < 10_000; guard++) {
        const busy = models.find((x) => x.active.length > 0)
        if (busy !== undefined) {
          busy.active.pop()
          busy.conn.done()
        } else if (tasks.length > 0) tasks.shift()!()
        else break
        check()
      }
      for (const m of models) if (!m.closed) assert.strictEqual(m.started.length, m.admitted.length, "all started")
    }
  })
})
