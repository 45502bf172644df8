// DPoR's runtime half on a running `cpchain-node --dev`: the genesis RNode and committee are
// visible over RPC, and terms (sessions) advance with the chain.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'
import { send } from '../lib/tx.mjs'

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

test('Alice is the bonded RNode and the committee of one', async () => {
  const rnodes = (await api.query.reputation.rNodes()).map((a) => a.toString())
  assert.deepEqual(rnodes, [alice.address])
  const ledger = (await api.query.reputation.ledgers(alice.address)).unwrap()
  assert.equal(ledger.active.toBigInt(), api.consts.reputation.rNodeBond.toBigInt())
  const committee = (await api.query.committee.committees(0)).unwrap().map((a) => a.toString())
  assert.deepEqual(committee, [alice.address])
  assert.equal((await api.query.committee.committeeSize()).toNumber(), 1)
  const validators = (await api.query.session.validators()).map((a) => a.toString())
  assert.deepEqual(validators, [alice.address])
})

test('a term ends and the next one starts with an elected (fallback) committee', async () => {
  const termLength = api.consts.committee.termLength.toNumber()
  // The first election (for term 2) runs when term 1 starts, at block `termLength`.
  const seen = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no TermStarted within ${termLength * 3 + 30} s`)),
      (termLength * 3 + 30) * 1000
    )
    api.query.system.events((events) => {
      const started = events.find(({ event }) => api.events.committee.TermStarted.is(event))
      const elected = events.find(({ event }) => api.events.committee.CommitteeElected.is(event))
      if (started && elected) {
        clearTimeout(timer)
        resolve({ started: started.event.data, elected: elected.event.data })
      }
    }).catch(reject)
  })
  assert.equal(seen.started.term.toNumber(), 1)
  assert.equal(seen.elected.term.toNumber(), 2)
  // Nobody campaigned, so the genesis committee serves again.
  assert.equal(seen.elected.fallback.isTrue, true)
  assert.deepEqual(seen.elected.members.map((a) => a.toString()), [alice.address])
  assert.equal((await api.query.committee.currentTerm()).toNumber(), 1)
  assert.equal((await api.query.session.currentIndex()).toNumber(), 1)
})

test('campaigning without session keys is refused with a clear error', async () => {
  const bob = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Bob')
  const { dispatchError: error } = await send(api, api.tx.committee.claimCampaign(1), bob,
    { allowDispatchError: true })
  assert.ok(error && error.isModule, 'a module error')
  const { section, name } = api.registry.findMetaError(error.asModule)
  assert.equal(`${section}.${name}`, 'committee.NotRNode')
})

// Last: the runtime's checks (migrations, storage versions, decoding, every pallet's
// `try_state`) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
