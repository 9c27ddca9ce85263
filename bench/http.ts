/**
 * The admin endpoint under load, as `effect-damon serve` runs it (a child process; real time):
 * requests per second from 32 keep-alive clients doing mixed GET/PUT on the admin tree, and
 * what that load does to a real-time kdamond sampling every 5 ms in the same process (samples
 * taken / samples due, read from `/metrics`). Measured with HTTP served from a worker thread
 * (the default) and from the kdamonds' thread (`--http-thread main`). The ratio is also
 * measured without load, to tell the kdamond's own lateness (it keeps an absolute deadline per
 * sample and skips the ones it falls a whole interval behind on) from the load's.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Agent, request } from "node:http"
import { type Bench, median, nowMs } from "./Harness.ts"

const root = new URL("..", import.meta.url).pathname
const CLIENTS = 32
const WINDOW_MS = 3000
const WINDOWS = 3
const SAMPLE_MS = 5

interface Server {
  readonly child: ChildProcess
  readonly port: number
}

type Thread = "worker" | "main"

const startServer = (thread: Thread): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=development", "src/cli/main.ts", "serve", "--port", "0", "--time", "real", "--http-thread", thread],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) resolve({ child, port: Number(m[1]) })
    })
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${out}`)))
  })

const stopServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.child.once("exit", () => resolve())
    server.child.kill("SIGKILL")
  })

/** One request on the keep-alive agent; resolves with the status and body. */
const call = (agent: Agent, port: number, method: string, path: string, body?: string) =>
  new Promise<{ readonly status: number; readonly text: string }>((resolve, reject) => {
    const headers = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }
    const req = request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => void (text += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on("error", reject)
    req.end(body)
  })

const C0 = "kdamonds/0/contexts/0"
const C1 = "kdamonds/1/contexts/0"
const sampleUsFile = `/admin/${C1}/monitoring_attrs/intervals/sample_us`

/** Kdamond 0 monitors pid 42 with a stat scheme (5 ms sampling); kdamond 1 is off (PUT target). */
const setup = async (agent: Agent, port: number) => {
  const writes: ReadonlyArray<readonly [string, string]> = [
    ["kdamonds/nr_kdamonds", "2"],
    ["kdamonds/0/contexts/nr_contexts", "1"],
    [`${C0}/operations`, "vaddr"],
    [`${C0}/targets/nr_targets`, "1"],
    [`${C0}/targets/0/pid_target`, "42"],
    [`${C0}/schemes/nr_schemes`, "1"],
    ["kdamonds/0/state", "on"],
    ["kdamonds/1/contexts/nr_contexts", "1"]
  ]
  for (const [path, value] of writes) {
    const r = await call(agent, port, "PUT", `/admin/${path}`, value)
    if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status} ${r.text}`)
  }
}

const samplesOf = async (agent: Agent, port: number): Promise<number> => {
  const text = (await call(agent, port, "GET", "/metrics")).text
  const m = /^damon_kdamond_samples_total\{kdamond="0"\} (\d+)$/m.exec(text)
  if (m === null) throw new Error("no samples counter for kdamond 0")
  return Number(m[1])
}

/** The mix one client loops over: three reads (a file, a listing, another file) and a write. */
const step = (agent: Agent, port: number, i: number) => {
  switch (i % 4) {
    case 0:
      return call(agent, port, "GET", "/admin/kdamonds/0/state")
    case 1:
      return call(agent, port, "GET", `/admin/${C0}/`)
    case 2:
      return call(agent, port, "GET", sampleUsFile)
    default:
      return call(agent, port, "PUT", sampleUsFile, String(5000 + (i % 97)))
  }
}

/** A window of `ms`: with `clients` looping, requests per second; always the sample ratio. */
const runWindow = async (port: number, clients: number, ms: number) => {
  const control = new Agent({ keepAlive: true, maxSockets: 1 })
  const load = new Agent({ keepAlive: true, maxSockets: clients })
  const s0 = await samplesOf(control, port)
  const t0 = nowMs()
  let done = 0
  let stop = false
  const loop = async (k: number) => {
    for (let i = k; !stop; i++) {
      const r = await step(load, port, i)
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text}`)
      done++
    }
  }
  const loops = Array.from({ length: clients }, (_, k) => loop(k))
  await new Promise((resolve) => setTimeout(resolve, ms))
  stop = true
  await Promise.all(loops)
  const s1 = await samplesOf(control, port)
  const elapsed = nowMs() - t0
  control.destroy()
  load.destroy()
  return { requestsPerSec: done / (elapsed / 1000), ratio: (s1 - s0) / (elapsed / SAMPLE_MS) }
}

/** One server: idle ratio, then {@link WINDOWS} loaded windows (medians). */
const measure = async (thread: Thread) => {
  const server = await startServer(thread)
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    await setup(agent, server.port)
    agent.destroy()
    await runWindow(server.port, CLIENTS, 1000) // warm-up
    const idle = await runWindow(server.port, 0, WINDOW_MS)
    const loaded: Array<{ readonly requestsPerSec: number; readonly ratio: number }> = []
    for (let w = 0; w < WINDOWS; w++) loaded.push(await runWindow(server.port, CLIENTS, WINDOW_MS))
    return {
      idleRatio: idle.ratio,
      requestsPerSec: median(loaded.map((w) => w.requestsPerSec)),
      ratio: median(loaded.map((w) => w.ratio))
    }
  } finally {
    await stopServer(server)
  }
}

export const httpBench: Bench = {
  name: "http",
  run: async () => {
    const worker = await measure("worker")
    const main = await measure("main")
    const how = `effect-damon serve (child process), ${CLIENTS} keep-alive clients, 3 GET : 1 PUT, ` +
      `median of ${WINDOWS} windows of ${WINDOW_MS / 1000} s`
    const ratio = "samples taken / due, one real-time kdamond at 5 ms sampling, during the load above"
    return {
      "http.requestsPerSec": { value: worker.requestsPerSec, unit: "req/s", note: `${how}; HTTP in a worker thread` },
      "http.kdamondSampleRatio": { value: worker.ratio, unit: "ratio", goal: ">= 0.95", note: ratio },
      "http.requestsPerSecMainThread": {
        value: main.requestsPerSec,
        unit: "req/s",
        note: `the same with --http-thread main (HTTP in the kdamonds' thread)`
      },
      "http.kdamondSampleRatioMainThread": { value: main.ratio, unit: "ratio", goal: ">= 0.95", note: "the same" },
      "http.kdamondSampleRatioIdle": {
        value: worker.idleRatio,
        unit: "ratio",
        note: `the same kdamond without load (${WINDOW_MS / 1000} s): its own drift`
      }
    }
  }
}
