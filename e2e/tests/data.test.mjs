// The data layer on a running `cpchain-node --dev` with the local IPFS daemon: a device, a
// stream and device-signed records whose hash chain the client computes exactly as the
// runtime does; the node's off-chain worker pins each new record on IPFS and reports it; a
// grant that authorises a grantee through the runtime API, a proxy's service receipt, and
// the revocation.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { TypeRegistry } from '@polkadot/types'
import { Keyring } from '@polkadot/keyring'
import { u8aToHex, stringToHex } from '@polkadot/util'
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode, startIpfs, rpc } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'
import { send as sendTx, eventually } from '../lib/tx.mjs'

let node
let ipfs
let api
let keyring
let alice
let owner
let device

const RECORD_HASH_DOMAIN = stringToHex('cpchain/data-record/v1')
const RECORD_SIGNATURE_DOMAIN = stringToHex('cpchain/device-signs-record/v1')
const ZERO = u8aToHex(new Uint8Array(32))

before(async () => {
  await cryptoWaitReady()
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  alice = keyring.addFromUri('//Alice')
  // The data owner is Bob: Alice's account signs the storage node's availability reports,
  // and two senders of one account race for nonces (see docs/data-layer.md).
  owner = keyring.addFromUri('//Bob')
  device = keyring.addFromUri('//thermometer-42')
  ipfs = await startIpfs()
  node = await startNode(['-lruntime::data-registry=debug'])
  // Make the node a storage node: Alice (an RNode) signs its reports, IPFS is named.
  await rpc(node.httpUrl, 'author_insertKey', ['cpds', '//Alice', u8aToHex(alice.publicKey)])
  await rpc(node.httpUrl, 'offchain_localStorageSet',
    ['PERSISTENT', stringToHex('cpchain::ipfs-api'), stringToHex(ipfs.apiUrl)])
  api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
}, { timeout: 180_000 })

after(async () => {
  if (api) await api.disconnect()
  if (node) await node.stop()
  if (ipfs) await ipfs.stop()
}, { timeout: 60_000 })

/**
 * Signs and sends `tx` (as the data owner by default); resolves to the block's events, with the
 * block hash as `events.blockHash`, once it is in a block; rejects on a dispatch error or after
 * a minute (lib/tx.mjs).
 */
async function send (tx, signer = owner) {
  const { blockHash, events } = await sendTx(api, tx, signer)
  const list = events.map(({ event }) => event)
  list.blockHash = blockHash
  return list
}

async function ipfsAdd (bytes) {
  const form = new FormData()
  form.append('file', new Blob([bytes]), 'upload.bin')
  const url = new URL('/api/v0/add', ipfs.apiUrl)
  url.searchParams.set('cid-version', '1')
  url.searchParams.set('cid-base', 'base32')
  url.searchParams.set('pin', 'false')
  const response = await fetch(url, { method: 'POST', body: form })
  assert.ok(response.ok, `ipfs add: HTTP ${response.status}`)
  return (await response.json()).Hash
}

async function isPinned (cid) {
  const url = new URL('/api/v0/pin/ls', ipfs.apiUrl)
  url.searchParams.set('arg', cid)
  const response = await fetch(url, { method: 'POST' })
  // The daemon answers an error for a CID that is not pinned; a pinned one is listed once,
  // possibly in another multibase than asked (js-ipfs lists base58btc).
  return response.ok && Object.keys((await response.json()).Keys ?? {}).length === 1
}

// Plain SCALE types, independent of the chain's metadata.
const scale = new TypeRegistry()

/** The record hash as `RecordPreimage::hash` computes it: BLAKE2-256 of the SCALE tuple. */
function recordHash (stream, index, r) {
  const encoded = scale.createType('(Bytes, u64, u64, Bytes, H256, H256, u64, (u64, u64), u64, H256)', [
    RECORD_HASH_DOMAIN, stream, index, stringToHex(r.cid), r.contentHash, r.merkleRoot,
    r.size, [r.intervals.first, r.intervals.last], r.timestampMs, r.prev
  ])
  return u8aToHex(blake2AsU8a(encoded.toU8a(), 256))
}

function findEvent (events, method, section = 'dataRegistry') {
  return events.find((e) => e.section === section && e.method === method)
}

/**
 * Stores `ciphertext` on IPFS; resolves to the record that registers it as record `index` of a
 * stream after `prev` (its registered size the object's unless `size` says otherwise).
 */
async function storedRecord (ciphertext, index, prev, { size = ciphertext.length, merkleRoot = ZERO } = {}) {
  return {
    cid: await ipfsAdd(ciphertext),
    contentHash: u8aToHex(blake2AsU8a(ciphertext, 256)),
    merkleRoot,
    size,
    intervals: { first: index, last: index },
    timestampMs: Date.now(),
    prev
  }
}

/** A new device of the owner's with one stream; resolves to the stream id. */
async function newStream (name) {
  const registered = await send(api.tx.dataRegistry.registerDevice(
    { Sr25519: u8aToHex(device.publicKey) }, '0x'))
  const deviceId = findEvent(registered, 'DeviceRegistered').data.device.toNumber()
  const created = await send(api.tx.dataRegistry.createStream(deviceId, stringToHex(name), '0x',
    { periodMs: 1000, encryptionInterval: 1, uploadInterval: 1 }))
  return findEvent(created, 'StreamCreated').data.stream.toNumber()
}

test('device, stream and signed records: the hash chain agrees and storage nodes pin', async () => {
  let events = await send(api.tx.dataRegistry.registerDevice(
    { Sr25519: u8aToHex(device.publicKey) }, stringToHex('{"model":"e2e"}')))
  const deviceId = findEvent(events, 'DeviceRegistered').data.device.toNumber()

  events = await send(api.tx.dataRegistry.createStream(deviceId, stringToHex('temperature'),
    stringToHex('json/v1'), { periodMs: 1000, encryptionInterval: 4, uploadInterval: 8 }))
  const stream = findEvent(events, 'StreamCreated').data.stream.toNumber()

  const genesis = (await api.rpc.chain.getBlockHash(0)).toHex()
  let prev = ZERO
  const cids = []
  for (let index = 0; index < 2; index++) {
    const record = await storedRecord(randomBytes(4096 + index), index, prev,
      { merkleRoot: u8aToHex(blake2AsU8a(Buffer.from(`blocks of ${index}`), 256)) })
    const cid = record.cid
    cids.push(cid)
    const hash = recordHash(stream, index, record)
    const payload = scale.createType('(Bytes, H256, H256)', [RECORD_SIGNATURE_DOMAIN, genesis, hash])
    const signature = { Sr25519: u8aToHex(device.sign(payload.toU8a())) }
    events = await send(api.tx.dataRegistry.appendRecord(stream, { ...record, cid: stringToHex(cid) }, signature))
    const appended = findEvent(events, 'RecordAppended').data
    // `.hash` of a codec is its own BLAKE2 hash: read the `hash` field by position
    // (stream, index, hash, cid, content_hash, device_signed).
    assert.equal(appended[2].toHex(), hash, `the client computes the same hash for record ${index}`)
    assert.equal(appended[5].isTrue, true)
    prev = hash
  }

  // The runtime API serves the records, linked by hash.
  const records = await api.call.dataRegistryApi.records(stream, 0, 10)
  assert.equal(records.length, 2)
  assert.equal(Buffer.from(records[0].cid.toU8a(true)).toString(), cids[0])
  assert.equal(records[1].prev.toHex(), records[0].toJSON().hash)

  // The off-chain worker pins every new record and Alice's node reports it.
  const reported = new Set()
  for (let i = 0; i < 60 && reported.size < 2; i++) {
    const entries = await api.query.dataRegistry.availability.entries(stream)
    for (const [key, holders] of entries) {
      if (holders.map((h) => h.toString()).includes(alice.address)) reported.add(key.args[1].toNumber())
    }
    if (reported.size < 2) await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  const workerLog = (await node.log()).split('\n').filter((l) => l.includes('data-registry')).join('\n')
  assert.deepEqual([...reported].sort(), [0, 1],
    `both records reported available by Alice; the worker logged:\n${workerLog}`)
  for (const cid of cids) assert.ok(await isPinned(cid), `${cid} is pinned on IPFS`)
  const unregistered = await ipfsAdd(randomBytes(100))
  assert.equal(await isPinned(unregistered), false, 'content no record names stays unpinned')
})

test('the storage node pins no object whose size is not its record\'s', async () => {
  // Record 0 names a real 5,000-byte object but registers 100 bytes (a stream owner pointing
  // the network's storage at whatever it likes); record 1 is honest.
  const stream = await newStream('sizes')
  let prev = ZERO
  const cids = []
  for (const [index, claimed] of [[0, 100], [1, null]]) {
    const record = await storedRecord(randomBytes(5000 + index), index, prev, { size: claimed ?? undefined })
    cids.push(record.cid)
    await send(api.tx.dataRegistry.appendRecord(stream, { ...record, cid: stringToHex(record.cid) }, null))
    prev = recordHash(stream, index, record)
  }
  const holders = async (index) =>
    (await api.query.dataRegistry.availability(stream, index)).map((h) => h.toString())
  // The worker takes queued records in order: once record 1 is reported, record 0 was decided.
  await eventually(async () => (await holders(1)).includes(alice.address),
    { timeoutMs: 90_000, what: 'the honest record reported' })
  const log = (await node.log()).split('\n').filter((l) => l.includes('data-registry')).join('\n')
  assert.deepEqual(await holders(0), [], `the mis-sized record is not reported; the worker logged:\n${log}`)
  assert.equal(await isPinned(cids[0]), false, 'the mis-sized object is not pinned')
  assert.equal(await isPinned(cids[1]), true)
  assert.match(log, /not pinning record 0 of stream \d+: SizeMismatch \{ registered: 100, object: 5000/)
})

test('a record that does not continue the chain, or is signed by another key, is refused', async () => {
  const stream = await newStream('s')
  const record = {
    cid: stringToHex('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'),
    contentHash: ZERO,
    merkleRoot: ZERO,
    size: 1,
    intervals: { first: 0, last: 0 },
    timestampMs: 1,
    prev: u8aToHex(new Uint8Array(32).fill(1))
  }
  await assert.rejects(send(api.tx.dataRegistry.appendRecord(stream, record, null)),
    /dataRegistry\.BrokenHashChain/)
  const stranger = new Keyring({ type: 'sr25519' }).addFromUri('//stranger')
  await assert.rejects(send(api.tx.dataRegistry.appendRecord(stream, { ...record, prev: ZERO },
    { Sr25519: u8aToHex(stranger.sign(new Uint8Array(32))) })), /dataRegistry\.BadDeviceSignature/)
  await assert.rejects(send(api.tx.dataRegistry.appendRecord(stream,
    { ...record, prev: ZERO, cid: stringToHex('../../etc/passwd') }, null)), /dataRegistry\.InvalidCid/)
  const view = (await api.call.dataRegistryApi.stream(stream)).unwrap()
  assert.equal(view.nextRecord.toNumber(), 0, 'nothing was appended')
})

test('a grant authorises its grantee until revoked; a proxy attests service with a receipt', async () => {
  const stream = await newStream('grants')
  const bob = keyring.addFromUri('//Bob//stash')
  const charlie = keyring.addFromUri('//Charlie')

  // Bob's stash becomes a re-encryption proxy: a SHA2-256 PeerId and a compressed secp256k1
  // key.
  await send(api.tx.accessControl.registerProxy('0x1220' + '07'.repeat(32), '0x02' + '09'.repeat(32)), bob)

  // A grant copies the Umbral keys both parties published: without them there is no grant.
  const best = (await api.rpc.chain.getHeader()).number.toNumber()
  const grantCall = () => api.tx.accessControl.grant(stream, charlie.address,
    { first: 0, last: 3 }, best + 1000, [bob.address], 1)
  await assert.rejects(send(grantCall()), /accessControl\.GrantorHasNoUmbralKeys/)
  const umbral = (fill) => ({ public: '0x02' + fill.repeat(32), verifying: '0x03' + fill.repeat(32) })
  // Publishing keys costs a fee and a small deposit: Charlie gets 1 CPC.
  await send(api.tx.balances.transferKeepAlive(charlie.address, 10n ** 18n))
  await send(api.tx.accessControl.setUmbralKeys(umbral('0a')))
  await assert.rejects(send(grantCall()), /accessControl\.GranteeHasNoUmbralKeys/)
  await assert.rejects(send(api.tx.accessControl.setUmbralKeys({ ...umbral('0c'), public: '0x04' + '0c'.repeat(32) }),
    charlie), /accessControl\.InvalidUmbralKeys/)
  await send(api.tx.accessControl.setUmbralKeys(umbral('0c')), charlie)

  let events = await send(grantCall())
  const grant = findEvent(events, 'GrantCreated', 'accessControl').data.grant.toNumber()
  let at = await api.at(events.blockHash)
  const keys = (await at.call.accessControlApi.grantKeys(grant)).unwrap()
  assert.equal(keys.grantor.verifying.toHex(), umbral('0a').verifying)
  assert.equal(keys.grantee.toHex(), umbral('0c').public)
  const authorized = async (who, interval) =>
    (await at.call.accessControlApi.isAuthorized(who, stream, interval)).isTrue
  assert.equal(await authorized(charlie.address, 0), true)
  assert.equal(await authorized(charlie.address, 3), true)
  assert.equal(await authorized(charlie.address, 4), false, 'beyond the granted range')
  assert.equal(await authorized(bob.address, 0), false, 'not the grantee')
  const grants = await at.call.accessControlApi.grantsOf(charlie.address)
  assert.deepEqual(grants.map((g) => g.id.toNumber()), [grant])

  // Charlie signs, with its account key, that Bob served it 5 re-encryptions so far.
  const genesis = (await api.rpc.chain.getBlockHash(0)).toHex()
  const receipt = scale.createType('(Bytes, H256, u64, H256, u64)', [
    stringToHex('cpchain/proxy-receipt/v1'), genesis, grant, u8aToHex(bob.publicKey), 5])
  const signature = { Sr25519: u8aToHex(charlie.sign(receipt.toU8a())) }
  events = await send(api.tx.accessControl.attestService([{ grant, totalServed: 5, signature }]), bob)
  assert.equal(findEvent(events, 'ServiceAttested', 'accessControl').data.credited.toNumber(), 5)
  at = await api.at(events.blockHash)
  assert.equal((await at.call.accessControlApi.proxy(bob.address)).unwrap().served.toNumber(), 5)
  // The same receipt again credits nothing.
  await assert.rejects(send(api.tx.accessControl.attestService([{ grant, totalServed: 5, signature }]), bob),
    /accessControl\.(TooSoon|StaleReceipt)/)

  // Someone else's grant cannot be revoked; the grantor's revocation takes effect at once.
  await assert.rejects(send(api.tx.accessControl.revoke(grant), bob), /accessControl\.NotAllowedToRevoke/)
  events = await send(api.tx.accessControl.revoke(grant))
  assert.ok(findEvent(events, 'GrantRevoked', 'accessControl'))
  at = await api.at(events.blockHash)
  assert.equal(await authorized(charlie.address, 0), false)
})

// Last: the runtime's checks (migrations, storage versions, decoding, every pallet's
// `try_state`) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
