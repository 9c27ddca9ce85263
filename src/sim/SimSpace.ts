/**
 * The simulated machine as an address space (the port the kernel's operations sets are written
 * over): processes' mappings, System RAM, accessed bits answered by the workloads' access model,
 * and the memory effects of actions. The machine follows the world time every call passes.
 */
import type { Rng } from "../core/Rng.ts"
import type { AccessSampler, AddressSpace } from "../ops/AddressSpace.ts"
import { SampleSlot } from "../ops/opsCommon.ts"
import { PAGE_SIZE } from "./PageExtent.ts"
import type { SimMachine } from "./SimMachine.ts"
import type { SimProcess } from "./SimProcess.ts"

/**
 * `AccessSampler.youngBatch` where no process is: every tested address finds nothing (`young`
 * answers `-1`), so each only moves the folio cache's index and clears its answer.
 */
const noProcessBatch = (addrs: Float64Array, n: number, cache: Float64Array, out: Uint8Array): void => {
  const inv = cache[SampleSlot.folioInv]!
  for (let i = 0; i < n; i++) {
    const a = addrs[i]!
    out[i] = 0
    if (a !== a) continue
    if (i > 0 && Math.floor(a * inv) === cache[SampleSlot.folioIdx]) {
      out[i] = cache[SampleSlot.accessed] === 1 ? 1 : 0
      continue
    }
    cache[SampleSlot.folioIdx] = Math.floor(a * inv)
    cache[SampleSlot.accessed] = 0
  }
}

/**
 * The accessed bits of one observer (one operations-set instance).
 *
 * **Details**
 * The machine models accesses instead of storing accessed bits: "accessed since the last
 * `mkold`" is "accessed in `[time of that mkold, now)`". The operations sets make every sampled
 * page old at one time per sample (their prepare phase), so one window start per observer is
 * exact for them. Observers do not clear each other's bits (the kernel's kdamonds can, through
 * the shared page-table bits; see docs/kernel-differences.md).
 */
const makeSampler = (machine: SimMachine, rng: Rng): AccessSampler => {
  let fromUs = 0
  // The machine follows the latest time it is given: advance it once per time, not per address.
  let advancedUs = Number.NaN
  let lastPid = -1
  let lastProc: SimProcess | undefined
  // The rare steps live out of line, so `young` stays small enough for the JIT to inline it into
  // the ops set's per-region loop.
  const advance = (nowUs: number): void => {
    machine.advance(nowUs)
    advancedUs = nowUs
  }
  const processOf = (pid: number): SimProcess | undefined => {
    lastPid = pid
    lastProc = machine.process(pid)
    return lastProc
  }
  const physYoung = (addr: number, nowUs: number): number => {
    const y = machine.physYoung(addr, fromUs, nowUs, rng)
    if (y >= 0) sampler.folioSz = machine.folioSz
    return y
  }
  const sampler = {
    folioSz: PAGE_SIZE,
    mkold: (_pid: number | null, _addr: number, nowUs: number): void => {
      if (nowUs !== advancedUs) advance(nowUs)
      fromUs = nowUs
    },
    mkoldBatch: (_pid: number, _addrs: Float64Array, n: number, nowUs: number): void => {
      if (n === 0) return
      if (nowUs !== advancedUs) advance(nowUs)
      fromUs = nowUs
    },
    young: (pid: number | null, addr: number, nowUs: number): number => {
      if (nowUs !== advancedUs) advance(nowUs)
      if (pid === null) return physYoung(addr, nowUs)
      const p = pid === lastPid ? lastProc : processOf(pid)
      if (p === undefined) return -1
      const y = p.youngAt(addr, fromUs, nowUs, rng)
      if (y >= 0) sampler.folioSz = p.folioSz
      return y
    },
    youngBatch: (pid: number, addrs: Float64Array, n: number, nowUs: number, cache: Float64Array, out: Uint8Array): void => {
      if (nowUs !== advancedUs) advance(nowUs)
      const p = pid === lastPid ? lastProc : processOf(pid)
      if (p === undefined) noProcessBatch(addrs, n, cache, out)
      else p.youngBatch(addrs, n, fromUs, nowUs, rng, cache, out)
      sampler.folioSz = cache[SampleSlot.folioSz]!
    }
  }
  return sampler
}

/** `machine` behind the address-space port. */
export const simSpace = (machine: SimMachine): AddressSpace => ({
  name: "simulated machine",
  processAlive: (pid, nowUs) => {
    const p = machine.process(pid)
    return p !== undefined && p.isAlive(nowUs)
  },
  mappings: (pid, nowUs) => {
    machine.advance(nowUs)
    return machine.process(pid)?.vmasAt(nowUs) ?? []
  },
  systemRam: () => machine.systemRamRanges(),
  sampler: (rng) => makeSampler(machine, rng),
  applyVirtual: (pid, start, end, req, nowUs, out) => machine.applyVirtual(pid, start, end, req, nowUs, out),
  applyPhysical: (start, end, req, nowUs, out) => machine.applyPhysical(start, end, req, nowUs, out),
  metrics: machine.metrics
})
