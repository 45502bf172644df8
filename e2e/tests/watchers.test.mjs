// Transaction watchers under load: thousands of watched transfers from several senders while
// the test itself keeps every core of the machine busy. A DPoR block is final a moment after
// its import, so the node must report each transaction `InBlock` (with the block's hash)
// before `Finalized` (with the same hash), never `Finalized` alone: a wallet that waits for
// inclusion would wait forever. See docs/dpor-engine.md, "Transaction status order".
//
// Two kinds of watcher, half of the senders each:
// - the node's own subscription, `author_submitAndWatchExtrinsic`: every status the node
//   sends, in order. This is what the node promises, and it is checked strictly.
// - @polkadot/api's status callback (`send`/`signAndSend`), what wallets and scripts use. The
//   library fetches a block's events before it reports `InBlock` and cancels that fetch
//   (rxjs `switchMap`) when the next status arrives, so on a busy machine it may report
//   `Finalized` alone although the node sent both. Checked: it always ends in `Finalized`
//   with the chain's block hash, any `InBlock` it reports names the same block and comes
//   first; how often it skipped `InBlock` is printed. A script that waits for `isInBlock`
//   alone would hang on those, so one more sender uses the project's `send` helper
//   (lib/tx.mjs, `InBlock` or `Finalized`) under the same load, and every call must resolve.
//
// Every transaction is submitted at once, so some reach the pool before their predecessor
// (the RPC server takes a connection's calls concurrently) and are `Future` for a moment: the
// fork-aware pool lost such transactions at DPoR's pace of view discards and left the
// sender's later ones waiting with no final status (docs/dpor-engine.md, "Transaction pool"),
// which is why the node runs the single-state pool. If a watcher never settles, the failure
// lists them with their statuses, the senders' nonces and the node's last log lines.
//
// Environment: WATCH_SENDERS (default 8), WATCH_TXS (transactions per sender, default 750),
// WATCH_BURNERS (busy processes, default: one per core).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'
import { send, withTimeout } from '../lib/tx.mjs'

const SENDERS = Number(process.env.WATCH_SENDERS || 8)
const TXS = Number(process.env.WATCH_TXS || 750)
const BURNERS = Number(process.env.WATCH_BURNERS || availableParallelism())
const CPC = 10n ** 18n
// Every wait of this file is bounded, and below the runner's per-file timeout (5 minutes in
// package.json and scripts/test.sh), so that a hang reports what is stuck instead of being
// cancelled blind. The load normally settles in well under a minute.
const SETTLE_TIMEOUT_MS = 3 * 60_000
const BURN_LIMIT_MS = 5 * 60_000
// Transactions sent one by one through lib/tx.mjs's `send` during the load.
const HELPER_TXS = 5

let node
let api
const connections = []
const burners = []

before(async () => {
  await cryptoWaitReady()
  node = await startNode()
  api = await withTimeout(
    ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true }),
    60_000, 'the API to connect')
}, { timeout: 120_000 })

after(async () => {
  for (const burner of burners) burner.kill('SIGKILL')
  for (const c of connections) await c.disconnect().catch(() => {})
  if (api) await api.disconnect()
  if (node) await node.stop()
}, { timeout: 60_000 })

/** Keeps one core busy until killed (and for at most BURN_LIMIT_MS, should the test die). */
function startBurner () {
  const child = spawn(process.execPath, ['-e',
    `const end = Date.now() + ${BURN_LIMIT_MS}; let x = 0; while (Date.now() < end) { x = (x * 31 + 7) % 1000003 }`
  ], { stdio: 'ignore' })
  burners.push(child)
}

/** Status type and block hash of an `ExtrinsicStatus`, as the node sent it. */
function statusOf (status) {
  const hash = status.isInBlock ? status.asInBlock.toHex()
    : status.isFinalized ? status.asFinalized.toHex()
      : status.isRetracted ? status.asRetracted.toHex() : undefined
  return { type: status.type, hash }
}

const FINAL = new Set(['Finalized', 'Invalid', 'Dropped', 'Usurped', 'FinalityTimeout'])

/**
 * Submits one signed transaction and records every status its watcher reports. `kind` is
 * 'rpc' (the node's subscription) or 'signAndSend' (@polkadot/api's callback). Returns
 * { statuses, done }: `statuses` grows as they arrive, `done` resolves to
 * { hash, kind, statuses, error } once a final status arrives.
 */
function watch (connection, kind, signed, settle) {
  const record = { hash: signed.hash.toHex(), kind, statuses: [] }
  const done = new Promise((resolve) => {
    const finish = () => {
      settle()
      resolve(record)
    }
    const onStatus = (status) => {
      const s = statusOf(status)
      record.statuses.push(s)
      if (FINAL.has(s.type)) finish()
    }
    const subscribed = kind === 'rpc'
      ? connection.rpc.author.submitAndWatchExtrinsic(signed, onStatus)
      : signed.send(({ status }) => onStatus(status))
    subscribed.catch((error) => {
      record.error = error.message
      finish()
    })
  })
  return { statuses: record.statuses, done }
}

/**
 * What a hang looks like from outside: the watchers that never settled and those that ended
 * other than `Finalized` (the statuses each saw, whether the chain has its transaction), each
 * sender's nonce on chain, the pool's size and the node's last log lines.
 */
async function stuckReport (tracked, senders, startNumber) {
  const lines = []
  const head = await api.rpc.chain.getHeader()
  const finalized = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())
  lines.push(`best #${head.number}, finalised #${finalized.number}`)
  const onChain = new Set()
  for (let n = startNumber + 1; n <= head.number.toNumber(); n++) {
    const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(n))
    for (const xt of block.block.extrinsics) onChain.add(blake2AsHex(xt.toU8a(), 256))
  }
  for (const [i, s] of senders.entries()) {
    lines.push(`sender ${i}: nonce on chain ${(await api.query.system.account(s.address)).nonce}`)
  }
  lines.push(`pool: ${(await api.rpc.author.pendingExtrinsics()).length} pending`)
  const describe = ([key, statuses]) => `  ${key}: ` +
    `${statuses.map((s) => s.type).join(' -> ') || 'no status'}` +
    ` (${onChain.has(key.split(' ').pop()) ? 'on chain' : 'not on chain'})`
  const entries = [...tracked.entries()]
  const stuck = entries.filter(([, statuses]) => !statuses.some((s) => FINAL.has(s.type)))
  lines.push(`${stuck.length} unsettled watchers, the first 20:`, ...stuck.slice(0, 20).map(describe))
  const failed = entries.filter(([, statuses]) =>
    statuses.some((s) => FINAL.has(s.type) && s.type !== 'Finalized'))
  lines.push(`${failed.length} watchers ended other than Finalized, the first 20:`,
    ...failed.slice(0, 20).map(describe))
  const log = (await node.log()).split('\n')
  lines.push('the node\'s last 40 log lines:', ...log.slice(-41))
  return lines.join('\n')
}

test(`every watcher of ${SENDERS * TXS} transfers from ${SENDERS} senders sees InBlock before Finalized, with both cores busy`, { timeout: 20 * 60_000 }, async () => {
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  const alice = keyring.addFromUri('//Alice')
  const senders = Array.from({ length: SENDERS }, (_, i) => keyring.addFromUri(`//watcher/${i}`))
  const helperSender = keyring.addFromUri('//watcher/helper')
  const recipient = keyring.addFromUri('//watcher/recipient')

  // Fund the senders in one batch (each pays TXS transfers of 1 CPC and their fees).
  const funding = [...senders, helperSender]
    .map((s) => api.tx.balances.transferKeepAlive(s.address, BigInt(TXS + 100) * CPC))
  await send(api, api.tx.utility.batchAll(funding), alice, { what: 'funding of the senders' })
  for (const s of senders) {
    const free = (await api.query.system.account(s.address)).data.free.toBigInt()
    assert.ok(free >= BigInt(TXS) * CPC, `sender ${s.address} funded (${free})`)
  }
  const startNumber = (await api.rpc.chain.getHeader()).number.toNumber()

  // One connection per sender (the node allows 1,024 subscriptions per connection); all
  // transactions signed before the load starts, immortal, with consecutive nonces.
  const signedBySender = []
  for (const sender of senders) {
    const connection = await withTimeout(
      ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true }),
      60_000, 'a sender connection')
    connections.push(connection)
    const signed = []
    for (let nonce = 0; nonce < TXS; nonce++) {
      const tx = connection.tx.balances.transferKeepAlive(recipient.address, CPC)
      signed.push(await tx.signAsync(sender, { nonce, era: 0 }))
    }
    signedBySender.push(signed)
  }

  for (let i = 0; i < BURNERS; i++) startBurner()
  // Let the burners take the cores before the first submission.
  await new Promise((resolve) => setTimeout(resolve, 1000))

  let settled = 0
  const total = SENDERS * TXS
  const progress = setInterval(() => {
    console.log(`# watchers settled: ${settled} of ${total}`)
  }, 10_000)
  // The helper signs and sends one transaction after another, each waited for, while the
  // watched load runs.
  const helperSends = (async () => {
    const results = []
    for (let nonce = 0; nonce < HELPER_TXS; nonce++) {
      results.push(await send(api, api.tx.balances.transferKeepAlive(recipient.address, CPC),
        helperSender, { options: { nonce, era: 0 }, what: `helper transfer ${nonce}` }))
    }
    return results
  })()
  const tracked = new Map()
  const watchers = Promise.all(signedBySender.flatMap((signed, i) => signed.map((tx, nonce) => {
    const kind = i % 2 === 0 ? 'rpc' : 'signAndSend'
    const watcher = watch(connections[i], kind, tx, () => { settled++ })
    tracked.set(`${kind} sender ${i} nonce ${nonce} ${tx.hash.toHex()}`, watcher.statuses)
    return watcher.done
  })))
  const records = await withTimeout(watchers, SETTLE_TIMEOUT_MS,
    `${total} watchers to report a final status`
  ).catch(async (error) => {
    const report = await withTimeout(stuckReport(tracked, senders, startNumber), 60_000,
      'the report of what is stuck').catch((e) => e.message)
    throw new Error(`${error.message}: ${settled} of ${total} settled\n${report}`)
  }).finally(() => clearInterval(progress))
  const helped = await helperSends
  for (const burner of burners) burner.kill('SIGKILL')

  // Where the chain has each transaction: scan the blocks from the start to the finalised head.
  const finalizedHash = await api.rpc.chain.getFinalizedHead()
  const finalizedNumber = (await api.rpc.chain.getHeader(finalizedHash)).number.toNumber()
  const blockOf = new Map()
  for (let n = startNumber + 1; n <= finalizedNumber; n++) {
    const hash = (await api.rpc.chain.getBlockHash(n)).toHex()
    const block = await api.rpc.chain.getBlock(hash)
    for (const xt of block.block.extrinsics) blockOf.set(blake2AsHex(xt.toU8a(), 256), hash)
  }

  const failures = []
  const counts = { rpc: { total: 0, ordered: 0 }, signAndSend: { total: 0, ordered: 0, finalizedOnly: 0 } }
  for (const r of records) {
    const c = counts[r.kind]
    c.total++
    const chain = blockOf.get(r.hash)
    const seen = r.statuses.filter((s) => s.type !== 'Ready' && s.type !== 'Future' && s.type !== 'Broadcast')
    const types = r.statuses.map((s) => s.type).join(' -> ')
    const ordered = seen.length === 2 && seen[0].type === 'InBlock' && seen[1].type === 'Finalized' &&
      seen[0].hash === chain && seen[1].hash === chain && chain !== undefined
    if (ordered) {
      c.ordered++
      continue
    }
    const finalizedOnly = seen.length === 1 && seen[0].type === 'Finalized' && seen[0].hash === chain &&
      chain !== undefined
    if (r.kind === 'signAndSend' && finalizedOnly) {
      c.finalizedOnly++
      continue
    }
    failures.push(`${r.kind} ${r.hash}: ${types || 'no status'} (chain: ${chain ?? 'not on chain'})` +
      (r.error ? ` error: ${r.error}` : ''))
  }
  console.log(`# blocks ${startNumber + 1}..=${finalizedNumber}; node subscriptions: ${counts.rpc.ordered} of ` +
    `${counts.rpc.total} InBlock then Finalized; signAndSend: ${counts.signAndSend.ordered} of ` +
    `${counts.signAndSend.total} InBlock then Finalized, ${counts.signAndSend.finalizedOnly} Finalized ` +
    'alone (the library dropped InBlock)')
  assert.deepEqual(failures.slice(0, 20), [],
    `${failures.length} of ${total} watchers went wrong (first 20 shown)`)
  assert.equal(counts.rpc.ordered, counts.rpc.total)
  assert.equal(counts.rpc.total + counts.signAndSend.total, total)
  // The helper resolved for every transaction, each at the block the chain has it in.
  assert.equal(helped.length, HELPER_TXS)
  for (const { blockHash } of helped) {
    const block = await api.rpc.chain.getBlock(blockHash)
    const number = block.block.header.number.toNumber()
    assert.equal((await api.rpc.chain.getBlockHash(number)).toHex(), blockHash.toHex(),
      'the helper reports a block of the chain')
  }
})

// Last: the runtime's checks (migrations, storage versions, decoding, every pallet's
// `try_state`) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
