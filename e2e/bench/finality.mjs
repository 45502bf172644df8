// The finality benchmark: a 4-member `local` network on loopback (Alice, Bob, Charlie, Dave
// with their dev keys), measured from Alice over RPC: time from a block's import to its
// finality (median and p99) and blocks per minute, with all four members up and then with
// Dave stopped (SIGSTOP: a silent member).
//
// Environment: CPCHAIN_NODE (the binary; the baseline's for the Aura + GRANDPA side),
// LABEL (the row label), DURATION (seconds per phase, default 120), WARMUP (default 30),
// KEEP_LOGS (set: keep the nodes' directories and logs).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { percentile, startNetwork, stopNetwork } from '../lib/network.mjs'

const DURATION = Number(process.env.DURATION || 120) * 1000
const WARMUP = Number(process.env.WARMUP || 30) * 1000
const LABEL = process.env.LABEL || 'DPoR'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The view of a DPoR block from its pre-digest (SCALE: term u32, view u32, author u32, VRF),
 * or null for blocks of another engine (the Aura + GRANDPA baseline).
 */
function dporView (header) {
  for (const log of header.digest.logs) {
    if (log.isPreRuntime && log.asPreRuntime[0].toString() === 'DPOR') {
      const data = log.asPreRuntime[1].toU8a(true)
      return new DataView(data.buffer, data.byteOffset + 4, 4).getUint32(0, true)
    }
  }
  return null
}

/**
 * Watches `api` for `ms` and returns { median, p99, perMinute, n, viewChanges }: latencies
 * in ms, and how many of the finalised blocks were built after a view change (view > 0).
 */
async function measure (api, ms) {
  const imported = new Map()
  const views = new Map()
  const latencies = []
  let firstFinal = null
  let lastFinal = null
  let viewChanges = 0
  const unsubNew = await api.rpc.chain.subscribeAllHeads((h) => {
    const n = h.number.toNumber()
    if (!imported.has(n)) imported.set(n, Date.now())
    views.set(h.hash.toHex(), dporView(h))
  })
  const unsubFinal = await api.rpc.chain.subscribeFinalizedHeads((h) => {
    const n = h.number.toNumber()
    const now = Date.now()
    if (firstFinal === null) firstFinal = n
    else if ((views.get(h.hash.toHex()) ?? 0) > 0) viewChanges++
    // Finality of `n` also covers every earlier block not seen finalised yet.
    for (let k = (lastFinal ?? n - 1) + 1; k <= n; k++) {
      if (imported.has(k)) latencies.push(now - imported.get(k))
    }
    lastFinal = n
  })
  await sleep(ms)
  unsubNew()
  unsubFinal()
  latencies.sort((a, b) => a - b)
  const blocks = lastFinal !== null && firstFinal !== null ? lastFinal - firstFinal : 0
  return {
    median: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perMinute: (blocks * 60_000) / ms,
    n: latencies.length,
    viewChanges
  }
}

const dir = await mkdtemp(join(tmpdir(), 'cpchain-bench-finality-'))
let members = {}
try {
  members = await startNetwork(dir)
  const api = await ApiPromise.create({ provider: new WsProvider(members.alice.wsUrl), noInitWarn: true })
  // Start-up (genesis, wasm compilation, peering) takes a while: wait for finality to move.
  for (;;) {
    const head = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())
    if (head.number.toNumber() >= 3) break
    await sleep(1000)
  }
  console.error(`# finality is moving; warming up for ${WARMUP / 1000} s more`)
  await sleep(WARMUP)
  console.error(`# all four members up, ${DURATION / 1000} s`)
  const all = await measure(api, DURATION)
  members.dave.child.kill('SIGSTOP')
  console.error(`# Dave silent, ${DURATION / 1000} s`)
  const silent = await measure(api, DURATION)
  members.dave.child.kill('SIGCONT')
  await api.disconnect()
  const row = (what, r) =>
    `| ${LABEL} | ${what} | ${r.median} | ${r.p99} | ${r.perMinute.toFixed(1)} | ${r.n} | ${r.viewChanges} |`
  console.log('| engine | members | import to finality, median (ms) | p99 (ms) | finalised blocks per minute | blocks | blocks after a view change |')
  console.log('|---|---|---|---|---|---|---|')
  console.log(row('4 of 4', all))
  console.log(row('3 of 4 (Dave silent)', silent))
} finally {
  await stopNetwork(members)
  if (process.env.KEEP_LOGS) console.error(`# node logs kept in ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}
