// The try-runtime checks (e2e/lib/try-state.mjs) on a running `cpchain-node --dev`: they pass
// on a fresh chain and on the state the other e2e files leave (each ends with them), and they
// fail, naming the broken invariant, on a state that breaks one: here Sudo writes a committee
// size of zero straight into storage, which no call of the committee pallet allows.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode } from '../lib/processes.mjs'
import { send } from '../lib/tx.mjs'
import { assertTryState, tryState, waitForLog } from '../lib/try-state.mjs'

let node
let api
let alice

before(async () => {
  await cryptoWaitReady()
  alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice')
  node = await startNode()
  api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
}, { timeout: 180_000 })

after(async () => {
  if (api) await api.disconnect()
  if (node) await node.stop()
}, { timeout: 60_000 })

test('every pallet\'s try_state holds on a fresh chain', async () => {
  await assertTryState(node)
})

test('a state that breaks an invariant fails the checks with its name', async () => {
  const key = api.query.committee.committeeSize.key()
  const zero = api.createType('u32', 0).toHex()
  const { blockHash } = await send(api,
    api.tx.sudo.sudo(api.tx.system.setStorage([[key, zero]])), alice)
  assert.equal((await api.query.committee.committeeSize.at(blockHash)).toNumber(), 0)
  // The check fails; the runtime's panic message, which names the invariant, goes to the
  // node's log (the RPC error only says that the runtime trapped).
  const before = (await node.log()).length
  await assert.rejects(tryState(node, blockHash.toHex()), /wasm trap|Execution failed/)
  await waitForLog(node, before, /committee size out of range/, 'the broken invariant')
  // The parent's state is untouched, and checking never writes: it still passes there.
  const parent = (await api.rpc.chain.getHeader(blockHash)).parentHash.toHex()
  await assertTryState(node, parent)
})
