// End-to-end tests of a running `cpchain-node --dev` through its JSON-RPC, with the client
// that polkadot.js apps uses (@polkadot/api).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto'
import { u8aToHex } from '@polkadot/util'
import { startNode, rpc } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'

const CPC = 10n ** 18n
let node
let api
let keyring

before(async () => {
  await cryptoWaitReady()
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  node = await startNode()
  api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
}, { timeout: 180_000 })

after(async () => {
  if (api) await api.disconnect()
  if (node) await node.stop()
}, { timeout: 60_000 })

/** Resolves once the finalised head reaches `target`, rejects after `timeoutMs`. */
async function finalisedAtLeast (target, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const hash = await api.rpc.chain.getFinalizedHead()
    const number = (await api.rpc.chain.getHeader(hash)).number.toNumber()
    if (number >= target) return number
    if (Date.now() > deadline) {
      throw new Error(`finalised height ${number} did not reach ${target}:\n${await node.log()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

async function finalisedNumber () {
  const hash = await api.rpc.chain.getFinalizedHead()
  return (await api.rpc.chain.getHeader(hash)).number.toNumber()
}

test('the node names its chain and token for wallets', async () => {
  assert.equal((await api.rpc.system.chain()).toString(), 'CPChain Development')
  assert.equal((await api.rpc.system.name()).toString(), 'CPChain Node')
  // What the node serves...
  const properties = await rpc(node.httpUrl, 'system_properties')
  assert.deepEqual(properties, { tokenSymbol: 'CPC', tokenDecimals: 18, ss58Format: 42 })
  // ...and what the client (and so polkadot.js apps) makes of it.
  assert.deepEqual(api.registry.chainTokens, ['CPC'])
  assert.deepEqual(api.registry.chainDecimals, [18])
  assert.equal(api.registry.chainSS58, 42)
})

test('metadata V15 with pallet docs', async () => {
  const versions = (await api.call.metadata.metadataVersions()).toJSON()
  assert.ok(versions.includes(15), `metadata versions ${versions}`)
  assert.ok(api.runtimeMetadata.version >= 15, `api decoded metadata v${api.runtimeMetadata.version}`)
  for (const pallet of ['system', 'balances', 'transactionPayment', 'sudo', 'utility', 'contracts']) {
    assert.ok(api.query[pallet] || api.tx[pallet], `pallet ${pallet} in the metadata`)
  }
  const docs = api.tx.balances.transferKeepAlive.meta.docs.map((d) => d.toString()).join(' ')
  assert.match(docs, /transfer/i)
  // The raw state_getMetadata call the apps UI makes works too.
  const raw = await rpc(node.httpUrl, 'state_getMetadata')
  assert.match(raw, /^0x6d657461/, 'metadata starts with the "meta" magic')
})

test('a signed transfer is finalised with its event and both balances right', async () => {
  const alice = keyring.addFromUri('//Alice')
  const recipient = keyring.addFromUri(mnemonicGenerate())
  const amount = 7n * CPC
  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt()

  const statuses = []
  let timer
  const { blockHash, events } = await new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(
      `timed out after 60 s waiting for the transfer to be finalised (statuses: ${statuses.join(' -> ')})`)), 60_000)
    api.tx.balances.transferKeepAlive(recipient.address, amount)
      .signAndSend(alice, ({ status, events, dispatchError }) => {
        statuses.push(status.type)
        if (dispatchError) reject(new Error(`dispatch error: ${dispatchError.toString()}`))
        if (status.isFinalized) resolve({ blockHash: status.asFinalized, events })
        if (status.isInvalid || status.isDropped || status.isUsurped) {
          reject(new Error(`transaction ${status.type}`))
        }
      })
      .catch(reject)
  }).finally(() => clearTimeout(timer))

  // Finalized is the last status. (That InBlock comes before it, from the node, is checked
  // under load in watchers.test.mjs; @polkadot/api's callback may skip InBlock.)
  assert.equal(statuses.at(-1), 'Finalized', `status sequence ${statuses.join(' -> ')}`)
  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event))
  assert.ok(transfer, 'Balances.Transfer event')
  const [from, to, value] = transfer.event.data
  assert.equal(from.toString(), alice.address)
  assert.equal(to.toString(), recipient.address)
  assert.equal(value.toBigInt(), amount)
  const feePaid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event))
  assert.ok(feePaid, 'TransactionPayment.TransactionFeePaid event')
  const fee = feePaid.event.data[1].toBigInt() + feePaid.event.data[2].toBigInt()
  assert.ok(fee > 0n, 'the transfer paid a fee')
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)))

  const at = await api.at(blockHash)
  const recipientAfter = (await at.query.system.account(recipient.address)).data.free.toBigInt()
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt()
  assert.equal(recipientAfter, amount)
  assert.equal(aliceBefore - aliceAfter, amount + fee)
})

test('a malformed extrinsic is rejected and the chain goes on', async () => {
  await assert.rejects(
    rpc(node.httpUrl, 'author_submitExtrinsic', ['0xdeadbeef']),
    (error) => {
      assert.ok(error.rpc, `a JSON-RPC error, got ${error}`)
      assert.match(`${error.rpc.message} ${error.rpc.data ?? ''}`, /decode|invalid/i)
      return true
    }
  )
  const before = await finalisedNumber()
  await finalisedAtLeast(before + 2)
})

test('malformed JSON-RPC calls get errors and the node keeps going', async () => {
  await assert.rejects(rpc(node.httpUrl, 'no_such_method'), (error) => {
    assert.equal(error.rpc?.code, -32601, 'method not found')
    return true
  })
  await assert.rejects(rpc(node.httpUrl, 'chain_getBlockHash', ['not a number']), (error) => {
    assert.equal(error.rpc?.code, -32602, 'invalid params')
    return true
  })
  const response = await fetch(node.httpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"jsonrpc": "2.0", "id": 1, "method": '
  })
  const body = await response.json()
  assert.equal(body.error?.code, -32700, 'parse error')
  const before = await finalisedNumber()
  await finalisedAtLeast(before + 2)
})

test('an extrinsic with a bad signature is rejected and the chain goes on', async () => {
  const alice = keyring.addFromUri('//Alice')
  const signed = await api.tx.balances
    .transferKeepAlive(keyring.addFromUri('//Bob').address, CPC)
    .signAsync(alice)
  const bytes = signed.toU8a()
  const signature = signed.signature.toU8a()
  const at = Buffer.from(bytes).indexOf(Buffer.from(signature))
  assert.ok(at > 0 && signature.length === 64, 'found the sr25519 signature in the extrinsic')
  const tampered = new Uint8Array(bytes)
  tampered[at + 10] ^= 0x01

  await assert.rejects(
    rpc(node.httpUrl, 'author_submitExtrinsic', [u8aToHex(tampered)]),
    (error) => {
      assert.ok(error.rpc, `a JSON-RPC error, got ${error}`)
      assert.match(`${error.rpc.message} ${error.rpc.data ?? ''}`, /bad signature/i)
      return true
    }
  )
  // The untampered extrinsic is fine: the rejection was about the signature alone.
  const hash = await rpc(node.httpUrl, 'author_submitExtrinsic', [signed.toHex()])
  assert.match(hash, /^0x[0-9a-f]{64}$/)
  const before = await finalisedNumber()
  await finalisedAtLeast(before + 2)
})

test('fast and warp sync are refused: they would skip the checks DPoR relies on', async () => {
  for (const mode of ['fast', 'fast-unsafe', 'warp']) {
    await assert.rejects(startNode(['--sync', mode]), (error) => {
      assert.match(error.message, /exited during start-up/)
      assert.match(error.message, /--sync (fast|warp): DPoR nodes sync in full/)
      return true
    }, `--sync ${mode}`)
  }
})

// Last: the runtime's checks (migrations, storage versions, decoding, every pallet's
// `try_state`) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
