// The load benchmark (polkadot-sdk's "0004-spamming" scenario, scaled to this machine): a
// 4-member `local` network on loopback while SENDERS senders submit TXS transfers each
// (default 20 × 400 = 8,000), pre-signed, spread over the four members' RPC ports, each
// sender keeping at most WINDOW transfers ahead of its last finalised one (as a wallet or a
// spammer such as sub-flood does: 8,000 at once overflow the pools' limits of 8,192 ready and
// 819 future transactions once gossip copies every transfer to every pool, and the pool drops
// what it cannot hold). A sender whose transfers stop landing for STALL seconds resubmits
// from its last finalised nonce; how often is reported. Measured
// from Alice: transfers included and finalised per second (from the first submission to the
// last inclusion / finality), finalised blocks per minute and import-to-finality p50/p99 of
// the blocks produced under load, the longest wait between two finality notifications, and
// the members' resident memory (largest of the four, before and at the peak of the load).
//
// Fails (exit 1) if not every transfer is finalised within LOAD_TIMEOUT seconds.
//
// Environment: CPCHAIN_NODE (the binary; the baseline's for the Aura + GRANDPA side), LABEL
// (the row label), SENDERS, TXS, WINDOW (default 64), STALL (default 20), LOAD_TIMEOUT
// (default 600), KEEP_LOGS.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { MEMBERS, percentile, rssMiB, startNetwork, stopNetwork } from '../lib/network.mjs'
import { send, withTimeout } from '../lib/tx.mjs'

const SENDERS = Number(process.env.SENDERS || 20)
const TXS = Number(process.env.TXS || 400)
const WINDOW = Number(process.env.WINDOW || 64)
const STALL = Number(process.env.STALL || 20) * 1000
const LOAD_TIMEOUT = Number(process.env.LOAD_TIMEOUT || 600) * 1000
const LABEL = process.env.LABEL || 'DPoR'
const CPC = 10n ** 18n
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once the finalised head of `api` reaches `number` (bounded by `ms`). */
async function finalizedAtLeast (api, number, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    const head = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())
    if (head.number.toNumber() >= number) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(500)
  }
}

await cryptoWaitReady()
const dir = await mkdtemp(join(tmpdir(), 'cpchain-bench-load-'))
let members = {}
const apis = []
let failed = false
try {
  members = await startNetwork(dir)
  for (const name of MEMBERS) {
    apis.push(await withTimeout(
      ApiPromise.create({ provider: new WsProvider(members[name].wsUrl), noInitWarn: true }),
      60_000, `the API of ${name} to connect`))
  }
  const api = apis[0]
  await finalizedAtLeast(api, 3, 300_000, 'finality to move')

  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  const alice = keyring.addFromUri('//Alice')
  const senders = Array.from({ length: SENDERS }, (_, i) => keyring.addFromUri(`//load/${i}`))
  const senderIndex = new Map(senders.map((s, i) => [s.address, i]))
  const recipient = keyring.addFromUri('//load/recipient')
  const funding = senders.map((s) => api.tx.balances.transferKeepAlive(s.address, BigInt(TXS + 100) * CPC))
  const funded = await send(api, api.tx.utility.batchAll(funding), alice, { what: 'funding of the senders' })
  const fundedNumber = (await api.rpc.chain.getHeader(funded.blockHash)).number.toNumber()
  await finalizedAtLeast(api, fundedNumber, 120_000, 'the funding to be finalised')

  console.error(`# signing ${SENDERS} × ${TXS} transfers`)
  const signed = senders.map((sender, i) => {
    const connection = apis[i % apis.length]
    const txs = []
    for (let nonce = 0; nonce < TXS; nonce++) {
      const tx = connection.tx.balances.transferKeepAlive(recipient.address, CPC)
      txs.push(tx.sign(sender, {
        nonce, era: 0, blockHash: connection.genesisHash, genesisHash: connection.genesisHash,
        runtimeVersion: connection.runtimeVersion, signedExtensions: connection.registry.signedExtensions
      }).toHex())
    }
    return txs
  })

  const rssBefore = Math.max(...await Promise.all(Object.values(members).map((m) => rssMiB(m.child.pid))))
  let rssPeak = rssBefore
  const sampler = setInterval(async () => {
    const now = await Promise.all(Object.values(members).map((m) => rssMiB(m.child.pid)))
    rssPeak = Math.max(rssPeak, ...now.filter((x) => !Number.isNaN(x)))
  }, 1000)

  // What Alice sees: import time of every block, and per finalised block its load transfers.
  const total = SENDERS * TXS
  const imported = new Map()
  const latencies = []
  let included = 0
  let finalized = 0
  // Finalised transfers per sender: its next nonce on the finalised chain.
  const landed = senders.map(() => 0)
  let lastIncludedAt = null
  let lastFinalizedAt = null
  let lastFinal = fundedNumber
  let lastNotification = Date.now()
  let longestGap = 0
  let blocks = 0
  let busy = Promise.resolve()
  let allFinal
  const done = new Promise((resolve) => { allFinal = resolve })
  const unsubNew = await api.rpc.chain.subscribeAllHeads((h) => {
    if (!imported.has(h.hash.toHex())) imported.set(h.hash.toHex(), Date.now())
  })
  // Blocks from here on: those of the load.
  lastFinal = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()
  const startedAt = Date.now()
  const unsubFinal = await api.rpc.chain.subscribeFinalizedHeads((h) => {
    const now = Date.now()
    longestGap = Math.max(longestGap, now - lastNotification)
    lastNotification = now
    const n = h.number.toNumber()
    // Blocks are read in order, one notification after the other.
    busy = busy.then(async () => {
      for (let k = lastFinal + 1; k <= n; k++) {
        const hash = (await api.rpc.chain.getBlockHash(k)).toHex()
        const block = await api.rpc.chain.getBlock(hash)
        let ours = 0
        for (const xt of block.block.extrinsics) {
          const i = xt.isSigned ? senderIndex.get(xt.signer.toString()) : undefined
          if (i === undefined) continue
          landed[i]++
          ours++
        }
        const importedAt = imported.get(hash)
        if (importedAt !== undefined) latencies.push(now - importedAt)
        blocks++
        if (ours > 0) {
          included += ours
          finalized += ours
          lastIncludedAt = Math.max(lastIncludedAt ?? 0, importedAt ?? now)
          lastFinalizedAt = now
        }
        lastFinal = k
      }
      if (finalized >= total) allFinal()
    }).catch((error) => console.error(`# reading finalised blocks: ${error.message}`))
  })
  const progress = setInterval(() => {
    console.error(`# ${finalized} of ${total} transfers finalised, block ${lastFinal}, ${resubmitted} resubmitted`)
  }, 10_000)

  // Every sender submits its transfers in nonce order through its member's RPC, at most
  // WINDOW ahead of what is finalised.
  let resubmitted = 0
  let refused = 0
  const submitting = { stop: false }
  const submissions = signed.map(async (txs, i) => {
    const connection = apis[i % apis.length]
    let next = 0
    let progressAt = Date.now()
    let seen = 0
    while (!submitting.stop && landed[i] < txs.length) {
      if (landed[i] > seen) {
        seen = landed[i]
        progressAt = Date.now()
      } else if (next > landed[i] && Date.now() - progressAt > STALL) {
        resubmitted += next - landed[i]
        next = landed[i]
        progressAt = Date.now()
      }
      next = Math.max(next, landed[i])
      while (next < Math.min(txs.length, landed[i] + WINDOW)) {
        await connection.rpc.author.submitExtrinsic(txs[next]).catch((error) => {
          // A resubmitted transfer the pool still holds is fine; anything else is counted.
          if (!/already imported|priority is too low|outdated/i.test(error.message)) {
            refused++
            if (refused <= 5) console.error(`# submission refused: ${error.message}`)
          }
        })
        next++
      }
      await sleep(100)
    }
  })
  await withTimeout(done, LOAD_TIMEOUT, `${total} transfers to be finalised`).catch((error) => {
    failed = true
    console.error(`# ${error.message}: ${finalized} finalised`)
  })
  if (failed) {
    // Where the rest went: each sender's nonce on chain, each member's pool.
    const nonces = await Promise.all(senders.map(async (s) => (await api.query.system.account(s.address)).nonce.toNumber()))
    console.error(`# nonces on chain: ${nonces.join(' ')}; finalised: ${landed.join(' ')}`)
    for (const [i, a] of apis.entries()) {
      console.error(`# ${MEMBERS[i]}'s pool: ${(await a.rpc.author.pendingExtrinsics()).length} transactions`)
    }
  }
  submitting.stop = true
  await Promise.all(submissions)
  clearInterval(progress)
  clearInterval(sampler)
  unsubNew()
  unsubFinal()
  await busy
  const endedAt = Date.now()
  longestGap = Math.max(longestGap, endedAt - lastNotification)

  latencies.sort((a, b) => a - b)
  const seconds = (t) => ((t ?? NaN) - startedAt) / 1000
  const row = [
    LABEL, `${SENDERS} × ${TXS}`, `${finalized} of ${total}`,
    (included / seconds(lastIncludedAt)).toFixed(0), (finalized / seconds(lastFinalizedAt)).toFixed(0),
    ((blocks * 60) / seconds(endedAt)).toFixed(1),
    percentile(latencies, 50), percentile(latencies, 99), (longestGap / 1000).toFixed(1),
    rssBefore.toFixed(0), rssPeak.toFixed(0), resubmitted
  ]
  console.log('| engine | senders × transfers | finalised | included per s | finalised per s | finalised blocks per minute | import to finality p50 (ms) | p99 (ms) | longest finality gap (s) | RSS before (MiB) | RSS peak (MiB) | resubmitted |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
  console.log(`| ${row.join(' | ')} |`)
} finally {
  for (const a of apis) await a.disconnect().catch(() => {})
  await stopNetwork(members)
  if (process.env.KEEP_LOGS) console.error(`# node logs kept in ${dir}`)
  else await rm(dir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
