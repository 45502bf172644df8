// The data market on a running `cpchain-node --dev`: a stream's owner lists recorded
// intervals, a buyer orders them into escrow, the owner delivers (a grant to the buyer's
// Umbral key through a registered proxy), the buyer confirms and the seller is paid exactly
// the price, the buyer rates; and the refusals a user meets (its own listing, a price above
// its limit, a stranger confirming). The calls' doc comments reach polkadot.js.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { u8aToHex, stringToHex } from '@polkadot/util'
import { cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'
import { send as sendTx } from '../lib/tx.mjs'

const CPC = 10n ** 18n
const PRICE = 2n * CPC

let node
let api
let seller
let buyer
let proxy

before(async () => {
  await cryptoWaitReady()
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 })
  // Accounts the development chain endows: Bob sells, Alice's stash buys, Bob's stash is the
  // proxy (this file's node is its own, so their nonces and balances are this file's alone).
  seller = keyring.addFromUri('//Bob')
  buyer = keyring.addFromUri('//Alice//stash')
  proxy = keyring.addFromUri('//Bob//stash')
  node = await startNode()
  api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
}, { timeout: 180_000 })

after(async () => {
  if (api) await api.disconnect()
  if (node) await node.stop()
}, { timeout: 60_000 })

/** Sends `tx` as `signer`; resolves to the block's events (with `.blockHash`) once included. */
async function send (tx, signer) {
  const { blockHash, events } = await sendTx(api, tx, signer)
  const list = events.map(({ event }) => event)
  list.blockHash = blockHash
  return list
}

function findEvent (events, method, section = 'market') {
  const found = events.find((e) => e.section === section && e.method === method)
  assert.ok(found, `${section}.${method} in ${events.map((e) => `${e.section}.${e.method}`)}`)
  return found
}

/** `who`'s free balance and what the market holds of it, at `blockHash`. */
async function money (who, blockHash) {
  const at = await api.at(blockHash)
  const account = await at.query.system.account(who.address)
  const holds = await at.query.balances.holds(who.address)
  const held = (reason) => holds
    .filter((h) => h.id.isMarket && h.id.asMarket.type === reason)
    .reduce((sum, h) => sum + h.amount.toBigInt(), 0n)
  return { free: account.data.free.toBigInt(), escrow: held('Escrow'), deposit: held('Deposit') }
}

/** The fee `events` show the signer paid (`transactionPayment.TransactionFeePaid`). */
function feePaid (events) {
  return findEvent(events, 'TransactionFeePaid', 'transactionPayment').data.actualFee.toBigInt()
}

test('the market\'s calls carry their docs for polkadot.js', async () => {
  for (const call of ['createListing', 'placeOrder', 'settle', 'confirm', 'cancelOrder', 'rate']) {
    const docs = api.tx.market[call].meta.docs.map((d) => d.toString()).join(' ')
    assert.ok(docs.length > 40, `market.${call} is documented: "${docs}"`)
  }
  assert.ok(api.consts.market.maxSettlePerCall.toNumber() > 0)
})

test('list, order into escrow, deliver, confirm: the seller gets the price and nothing else moves', async () => {
  // The seller's device and stream, with two recorded intervals.
  let events = await send(api.tx.dataRegistry.registerDevice({ Sr25519: u8aToHex(seller.publicKey) }, '0x'), seller)
  const device = findEvent(events, 'DeviceRegistered', 'dataRegistry').data.device.toNumber()
  events = await send(api.tx.dataRegistry.createStream(device, stringToHex('air quality'), '0x',
    { periodMs: 1000, encryptionInterval: 1, uploadInterval: 1 }), seller)
  const stream = findEvent(events, 'StreamCreated', 'dataRegistry').data.stream.toNumber()
  let prev = u8aToHex(new Uint8Array(32))
  for (const interval of [0, 1]) {
    events = await send(api.tx.dataRegistry.appendRecord(stream, {
      cid: stringToHex(`bafkreimarket${interval}`),
      contentHash: u8aToHex(new Uint8Array(32).fill(interval + 1)),
      merkleRoot: u8aToHex(new Uint8Array(32)),
      size: 1024,
      intervals: { first: interval, last: interval },
      timestampMs: Date.now(),
      prev
    }, null), seller)
    prev = findEvent(events, 'RecordAppended', 'dataRegistry').data[2].toHex()
  }

  // The listing: its text in storage for any indexer.
  events = await send(api.tx.market.createListing(stream, { Range: { intervals: { first: 0, last: 1 } } }, PRICE,
    stringToHex('PM2.5, Shanghai'), stringToHex('hourly PM2.5 readings'), [stringToHex('pm2.5')],
    u8aToHex(new Uint8Array(32).fill(7)), null), seller)
  const listing = findEvent(events, 'ListingCreated').data.listing.toNumber()
  const stored = (await (await api.at(events.blockHash)).query.market.listings(listing)).unwrap()
  assert.equal(Buffer.from(stored.text.title.toU8a(true)).toString(), 'PM2.5, Shanghai')

  // Refusals: the seller buying from itself, a price above the buyer's limit.
  await assert.rejects(send(api.tx.market.placeOrder(listing, { Range: { first: 0, last: 1 } }, PRICE), seller),
    /market\.OwnListing/)
  await assert.rejects(send(api.tx.market.placeOrder(listing, { Range: { first: 0, last: 1 } }, PRICE - 1n), buyer),
    /market\.PriceAboveLimit/)

  // The order: the price of both intervals held in escrow.
  events = await send(api.tx.market.placeOrder(listing, { Range: { first: 0, last: 1 } }, PRICE), buyer)
  const placed = findEvent(events, 'OrderPlaced').data
  const order = placed.order.toNumber()
  assert.equal(placed.held.toBigInt(), 2n * PRICE)
  const afterOrder = await money(buyer, events.blockHash)
  assert.equal(afterOrder.escrow, 2n * PRICE)

  // Nothing delivered yet: the buyer has nothing to confirm, a stranger cannot confirm.
  await assert.rejects(send(api.tx.market.confirm(order, 2), buyer), /market\.NothingDelivered/)
  await assert.rejects(send(api.tx.market.confirm(order, 2), seller), /market\.NotBuyer/)

  // Delivery: a proxy, both parties' Umbral keys, a grant of the two intervals to the buyer.
  await send(api.tx.accessControl.registerProxy('0x1220' + '0d'.repeat(32), '0x02' + '0e'.repeat(32)), proxy)
  const umbral = (fill) => ({ public: '0x02' + fill.repeat(32), verifying: '0x03' + fill.repeat(32) })
  await send(api.tx.accessControl.setUmbralKeys(umbral('1a')), seller)
  await send(api.tx.accessControl.setUmbralKeys(umbral('1b')), buyer)
  const best = (await api.rpc.chain.getHeader()).number.toNumber()
  await send(api.tx.accessControl.grant(stream, buyer.address, { first: 0, last: 1 }, best + 10_000,
    [proxy.address], 1), seller)

  // The buyer confirms: both intervals paid to the seller, the escrow released, the order
  // closed; the seller's balance grows by exactly the price of two intervals.
  const head = (await api.rpc.chain.getBlockHash()).toHex()
  const sellerBefore = await money(seller, head)
  const buyerBefore = await money(buyer, head)
  events = await send(api.tx.market.confirm(order, 2), buyer)
  const settled = findEvent(events, 'Settled').data
  assert.equal(settled.paid.toNumber(), 2)
  assert.equal(settled.refunded.toNumber(), 0)
  assert.equal(settled.toSeller.toBigInt(), 2n * PRICE, 'no market fee on this runtime')
  findEvent(events, 'OrderClosed')
  const sellerAfter = await money(seller, events.blockHash)
  assert.equal(sellerAfter.free - sellerBefore.free, 2n * PRICE)
  const buyerAfter = await money(buyer, events.blockHash)
  assert.equal(buyerAfter.escrow, 0n)
  assert.equal(buyerAfter.free, buyerBefore.free - feePaid(events), 'the buyer paid only the fee of its call')

  // The rating removes the closed order and returns the buyer's deposit.
  events = await send(api.tx.market.rate(order, 5), buyer)
  assert.equal(findEvent(events, 'Rated').data.score.toNumber(), 5)
  findEvent(events, 'OrderRemoved')
  const at = await api.at(events.blockHash)
  assert.equal((await at.query.market.orders(order)).isNone, true)
  assert.equal((await at.query.market.ratings(seller.address)).count.toNumber(), 1)
  assert.equal((await money(buyer, events.blockHash)).deposit, 0n)
})

// Last: the runtime's checks (every pallet's `try_state`, the market's escrow and deposits
// among them) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
