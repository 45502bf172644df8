// The local IPFS daemon that scripts/run.sh starts beside the node: a real daemon on
// loopback, driven through the Kubo RPC API that the project's clients use.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import { startIpfs } from '../lib/processes.mjs'

let ipfs

before(async () => { ipfs = await startIpfs() }, { timeout: 60_000 })
after(async () => { if (ipfs) await ipfs.stop() }, { timeout: 60_000 })

async function call (verb, args = {}, body) {
  const url = new URL(`/api/v0/${verb}`, ipfs.apiUrl)
  for (const [key, value] of Object.entries(args)) url.searchParams.append(key, value)
  const response = await fetch(url, { method: 'POST', body })
  if (!response.ok) throw new Error(`${verb}: HTTP ${response.status} ${await response.text()}`)
  return response
}

test('add, cat and pin round-trip bytes exactly', async () => {
  const data = randomBytes(300_000)
  const form = new FormData()
  form.append('file', new Blob([data], { type: 'application/octet-stream' }), 'blob.bin')
  const added = await (await call('add', { pin: 'true', 'cid-version': '1', 'cid-base': 'base32' }, form)).json()
  assert.match(added.Hash, /^baf[a-z2-7]{50,}$/)
  assert.equal(typeof added.Size, 'string', 'Size is a string, as Kubo answers')

  const back = Buffer.from(await (await call('cat', { arg: added.Hash })).arrayBuffer())
  assert.equal(createHash('sha256').update(back).digest('hex'),
    createHash('sha256').update(data).digest('hex'))

  const pins = await (await call('pin/ls', { arg: added.Hash, 'cid-base': 'base32' })).json()
  assert.ok(Object.keys(pins.Keys).includes(added.Hash), 'the CID is pinned')
})

test('the daemon is offline: no bootstrap peers and no connections', async () => {
  const bootstrap = await (await call('bootstrap/list')).json()
  assert.deepEqual(bootstrap.Peers ?? [], [])
  const peers = await (await call('swarm/peers')).json()
  assert.deepEqual(peers.Peers ?? [], [])
})

test('an unknown CID is an error, not a hang', async () => {
  await assert.rejects(call('cat', { arg: 'not-a-cid' }), /HTTP 500|HTTP 400/)
})
