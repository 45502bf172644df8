// The data plane end to end: the `cpc` command line against a running `cpchain-node --dev`
// and the local IPFS daemon. A simulated device's 10,000 readings are ingested (the run is
// killed half-way and resumed), the owner reads them back bit-exact, a grantee reads
// intervals 3..=5 through a proxy's re-encryption and nothing else, revocation stops it, and
// content altered inside the IPFS repository is caught against the on-chain hash. The market
// sells intervals through `cpc market`: listed, bought into escrow, delivered, read, paid. Bad input
// gets a clear message and a non-zero exit with nothing half-written on chain.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm, writeFile, access } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiPromise, WsProvider } from '@polkadot/api'
import { Keyring } from '@polkadot/keyring'
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto'
import { startNode, startIpfs, cpcBinary } from '../lib/processes.mjs'
import { assertTryState } from '../lib/try-state.mjs'
import { send } from '../lib/tx.mjs'

let node
let ipfs
let dir
let env

const READINGS = 10_000
const T0 = 1_700_000_000_000
// One reading per second; T = 10 s gives 1,000 blocks, e = 10 blocks gives 100 intervals and
// u = 50 blocks gives 20 records.
const STREAM = { period: 10_000, e: 10, u: 50 }
const lines = Array.from({ length: READINGS }, (_, i) =>
  JSON.stringify({ t: T0 + i * 1000, temp: Math.round(200 + (i % 97)) / 10, seq: i }))
const input = lines.join('\n') + '\n'
/** The readings of intervals first..=last, as the input has them. */
const intervalsText = (first, last) => {
  const perInterval = (STREAM.period / 1000) * STREAM.e
  return lines.slice(first * perInterval, (last + 1) * perInterval).join('\n') + '\n'
}

/** Runs cpc; resolves to { code, stdout, stderr } (never rejects on a non-zero exit). */
function cpc (args, { extraEnv = {}, kill } = {}) {
  return new Promise((resolve, reject) => {
    // Bounded: a cpc that hangs is killed and its test fails with what it printed.
    const child = spawn(cpcBinary(), args, { env: { ...env, ...extraEnv }, timeout: 300_000, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    if (kill) kill(child)
  })
}

/**
 * Runs cpc like `cpc`, and samples the child's peak resident memory (VmHWM, a high-water mark,
 * so the last sample before exit is the peak up to then); resolves with `peakMiB` too.
 */
async function cpcMeasured (args) {
  let peakKiB = 0
  let timer
  const result = await cpc(args, {
    kill: (child) => {
      timer = setInterval(async () => {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '')
        const m = status.match(/VmHWM:\s+(\d+) kB/)
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]))
      }, 20)
    }
  })
  clearInterval(timer)
  return { ...result, peakMiB: peakKiB / 1024 }
}

/** Runs cpc with --json and expects success; resolves to the parsed output. */
async function ok (args) {
  const r = await cpc([...args, '--json'])
  assert.equal(r.code, 0, `cpc ${args.join(' ')} failed:\n${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** Runs cpc and expects failure; resolves to stderr. */
async function fails (args, extraEnv) {
  const r = await cpc(args, { extraEnv })
  assert.notEqual(r.code, 0, `cpc ${args.join(' ')} should have failed:\n${r.stdout}`)
  return r.stderr
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

before(async () => {
  await cryptoWaitReady()
  await access(cpcBinary())
  dir = await mkdtemp(join(tmpdir(), 'cpchain-e2e-cpc-'))
  ipfs = await startIpfs()
  node = await startNode()
  env = {
    ...process.env,
    CPC_DATA_DIR: join(dir, 'cpc'),
    CPC_NODE: node.wsUrl,
    CPC_IPFS: ipfs.apiUrl,
    CPC_PASSWORD: 'correct horse'
  }
  await writeFile(join(dir, 'readings.jsonl'), input)
}, { timeout: 180_000 })

after(async () => {
  if (node) await node.stop()
  if (ipfs) await ipfs.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
}, { timeout: 60_000 })

const accounts = {}

test('keys are stored encrypted; wrong passwords and unknown keys are refused', async () => {
  // Bob owns the data; Alice's stash account runs the proxy role (it has funds for the
  // bond); the grantee is a fresh account (it is sent funds for its key deposit later).
  for (const [name, suri] of [['owner', '//Bob'], ['proxy', '//Alice//stash']]) {
    accounts[name] = await ok(['key', 'import', '--name', name, '--suri', suri])
  }
  accounts.grantee = await ok(['key', 'create', '--name', 'grantee'])
  accounts.sensor = await ok(['key', 'create', '--name', 'sensor', '--kind', 'device', '--scheme', 'ed25519'])
  assert.equal(accounts.owner.address, '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty')
  assert.match(accounts.grantee.umbral_public, /^0[23][0-9a-f]{64}$/)
  const file = await readFile(join(dir, 'cpc', 'keys', 'owner.json'), 'utf8')
  assert.ok(!file.includes('//Bob'), 'the secret URI is not stored in clear')
  const listed = await ok(['key', 'list'])
  assert.deepEqual(listed.map((k) => k.name), ['grantee', 'owner', 'proxy', 'sensor'])

  assert.match(await fails(['revoke', '--account', 'owner', '--grant', '0'], { CPC_PASSWORD: 'wrong' }),
    /wrong password for key "owner"/)
  assert.match(await fails(['revoke', '--account', 'nobody', '--grant', '0']), /no key named "nobody"/)
  assert.match(await fails(['key', 'import', '--name', 'owner', '--suri', '//Bob']), /already exists/)
})

test('a device and its stream are registered', async () => {
  const device = await ok(['device', 'register', '--account', 'owner', '--key', 'sensor', '--metadata', 'roof'])
  assert.equal(device.device, 0)
  const stream = await ok(['stream', 'create', '--account', 'owner', '--device', '0', '--name', 'roof-temp',
    '--period-ms', String(STREAM.period), '--encryption-interval', String(STREAM.e),
    '--upload-interval', String(STREAM.u)])
  assert.equal(stream.stream, 0)
  assert.match(await fails(['stream', 'create', '--account', 'owner', '--device', '7', '--name', 'x',
    '--period-ms', '1', '--encryption-interval', '1', '--upload-interval', '1']), /DataRegistry\.UnknownDevice/)
})

test('bad readings stop ingest with the line number and nothing half-written on chain', async () => {
  await writeFile(join(dir, 'bad.jsonl'), `${lines[0]}\n${lines[1]}\nnot json\n${lines[2]}\n`)
  const stderr = await fails(['ingest', '--account', 'owner', '--stream', '0', join(dir, 'bad.jsonl')])
  assert.match(stderr, /line 3: not JSON/)
  const stream = await ok(['stream', 'show', '0'])
  assert.equal(stream.next_record, 0, 'no record of the bad input reached the chain')
  assert.match(await fails(['ingest', '--account', 'grantee', '--stream', '0', join(dir, 'bad.jsonl')]),
    /belongs to 5FHneW46/)
})

test('10,000 readings are ingested, interrupted and resumed without loss or duplication', async () => {
  const journal = join(dir, 'cpc', 'ingest')
  // Two records per transaction: 10 transactions, more than travel at once (8), so the run
  // has records on chain and others in flight for a while.
  const args = ['ingest', '--account', 'owner', '--stream', '0', '--device-key', 'sensor', '--batch', '2',
    join(dir, 'readings.jsonl')]
  // Kill the first run (SIGKILL: no clean-up) once some records are on chain and others are
  // sent but not known to be.
  const first = await cpc(args, {
    kill: async (child) => {
      for (let i = 0; i < 600; i++) {
        await sleep(250)
        const files = await readdir(journal).catch(() => [])
        if (files.length === 0) continue
        const j = JSON.parse(await readFile(join(journal, files[0]), 'utf8').catch(() => '{}'))
        if (j.committed?.next_record >= 4 && j.pending?.length > 0) break
      }
      child.kill('SIGKILL')
    }
  })
  assert.equal(first.signal, 'SIGKILL', `the first run ended on its own:\n${first.stderr}`)
  const partial = await ok(['stream', 'show', '0'])
  assert.ok(partial.next_record >= 4 && partial.next_record < 20, `interrupted at ${partial.next_record}`)

  const resumed = await ok(args)
  assert.equal(resumed.next_record, 20)
  assert.equal(resumed.readings + resumed.already_ingested, READINGS)

  const stream = await ok(['stream', 'show', '0', '--records'])
  assert.equal(stream.next_record, 20)
  assert.equal(stream.next_interval, 100)
  assert.ok(stream.records.every((r) => r.device_signed), 'every record carries the device signature')
  const verified = await ok(['verify', '--stream', '0'])
  assert.deepEqual([verified.checked, verified.failed], [20, 0])

  const out = join(dir, 'owner.jsonl')
  const fetched = await ok(['fetch', '--account', 'owner', '--stream', '0', '--out', out])
  assert.equal(fetched.role, 'owner')
  assert.equal(await readFile(out, 'utf8'), input, 'the owner reads back exactly what was ingested')
})

test('a lost key store costs nothing: the same secret in an empty one reads the data back', async () => {
  // The owner's Umbral keys derive from its account secret, so importing //Bob afresh gives
  // the keys its interval keys were wrapped for.
  const fresh = { CPC_DATA_DIR: join(dir, 'recovered') }
  const imported = JSON.parse((await cpc(['key', 'import', '--name', 'again', '--suri', '//Bob', '--json'],
    { extraEnv: fresh })).stdout)
  assert.equal(imported.address, accounts.owner.address)
  assert.equal(imported.umbral_public, accounts.owner.umbral_public)
  const out = join(dir, 'recovered.jsonl')
  const r = await cpc(['fetch', '--account', 'again', '--stream', '0', '--out', out, '--json'], { extraEnv: fresh })
  assert.equal(r.code, 0, `fetch with the recovered key failed:\n${r.stderr}`)
  assert.equal(JSON.parse(r.stdout).role, 'owner')
  assert.equal(await readFile(out, 'utf8'), input, 'bit-exact with the recovered key')
})

test('grants are made towards the Umbral keys the grantee published on chain', async () => {
  await ok(['proxy', 'register', '--account', 'proxy'])
  const grantTo = (grantee, extra = []) => ['grant', '--account', 'owner', '--stream', '0', '--grantee', grantee,
    '--intervals', '3..=5', '--proxies', accounts.proxy.address, ...extra]
  // A grantee that has published no keys cannot be granted anything.
  assert.match(await fails(grantTo(accounts.grantee.address)), /has published no Umbral keys.*cpc key publish/)
  // Publishing keys holds a small deposit: the fresh grantee gets funds first.
  const api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
  try {
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice')
    await send(api, api.tx.balances.transferKeepAlive(accounts.grantee.address, 10n ** 18n), alice,
      { what: 'funding the grantee' })
    const published = await ok(['key', 'publish', '--account', 'grantee'])
    assert.equal(published.umbral_public, accounts.grantee.umbral_public)
    const onChain = (await api.call.accessControlApi.umbralKeys(accounts.grantee.address)).unwrap()
    assert.equal(onChain.public.toHex(), '0x' + accounts.grantee.umbral_public)
  } finally {
    await api.disconnect()
  }
  assert.equal((await ok(['key', 'publish', '--account', 'grantee'])).block, null, 'publishing again is a no-op')
  // A key learnt out of band that is not the one on chain stops the grant (a swapped key).
  assert.match(await fails(grantTo(accounts.grantee.address, ['--grantee-key', accounts.owner.umbral_public])),
    /is not the --grantee-key you were given/)
})

test('a grantee reads intervals 3..=5 through re-encryption, and nothing else', async () => {
  // The owner's keys are published by its first grant, in the same transaction.
  const grant = await ok(['grant', '--account', 'owner', '--stream', '0', '--grantee', accounts.grantee.address,
    '--grantee-key', accounts.grantee.umbral_public, '--intervals', '3..=5', '--proxies', accounts.proxy.address])
  assert.equal(grant.grant, 0)

  const out = join(dir, 'grantee.jsonl')
  const fetched = await ok(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '3..=5', '--out', out])
  assert.equal(fetched.role, 'grantee')
  assert.equal(fetched.blocks, 30)
  assert.equal(await readFile(out, 'utf8'), intervalsText(3, 5), 'bit-exact')

  const six = join(dir, 'six.jsonl')
  assert.match(await fails(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '6', '--out', six]),
    /no grant of yours covers interval 6 of stream 0 \(your grants on it cover: 3\.\.=5\)/)
  await assert.rejects(access(six), 'a refused fetch writes no output')
  assert.match(await fails(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '5..=6']),
    /covers interval 6/)
  // A grant must name registered proxies and a threshold they can meet.
  assert.match(await fails(['grant', '--account', 'owner', '--stream', '0', '--grantee', accounts.grantee.address,
    '--grantee-key', accounts.grantee.umbral_public, '--intervals', '1', '--proxies', accounts.grantee.address]),
  /is not a registered proxy/)
  assert.match(await fails(['grant', '--account', 'owner', '--stream', '0', '--grantee', accounts.grantee.address,
    '--grantee-key', '02abcd', '--intervals', '1', '--proxies', accounts.proxy.address]), /not an Umbral public key/)

  await ok(['revoke', '--account', 'owner', '--grant', '0'])
  assert.match(await fails(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '3..=5']),
    /no grant of yours covers interval 3/)
})

test('the market through cpc: listed, bought into escrow, delivered by a grant, read, confirmed, rated', async () => {
  const terms = join(dir, 'licence.txt')
  await writeFile(terms, 'Research use only; no resale.\n')
  const list = (extra, account = 'owner') => ['market', 'list', '--account', account, '--stream', '0',
    '--price', '0.1', '--terms', terms, ...extra]
  // Bad input is refused before anything is signed.
  assert.match(await fails(list(['--intervals', '20..=29', '--title', 'x'.repeat(97)])),
    /the title is 97 bytes long; the chain keeps at most 96/)
  assert.match(await fails(list(['--intervals', '95..=120', '--title', 'Roof'])),
    /has recorded intervals up to 99 only/)
  assert.match(await fails(list(['--intervals', '20..=29', '--title', 'Roof'], 'grantee')),
    /stream 0 belongs to .*, not to grantee: only a stream's owner lists it/)
  assert.match(await fails(['market', 'list', '--account', 'owner', '--stream', '0', '--price', '0.1.2',
    '--terms', terms, '--intervals', '20', '--title', 'Roof']), /not an amount of CPC/)

  const listed = await ok(list(['--intervals', '20..=29', '--title', 'Roof temperature', '--tags', 'weather,temperature']))
  assert.equal(listed.listing, 0)
  assert.equal(listed.licence_hash, blake2AsHex(await readFile(terms), 256))
  const { listings } = await ok(['market', 'listings'])
  assert.deepEqual(listings.map((l) => [l.listing, l.title, l.price, l.tags.join()]),
    [[0, 'Roof temperature', String(10n ** 17n), 'weather,temperature']])

  assert.match(await fails(['market', 'buy', '--account', 'owner', '--listing', '0', '--intervals', '21']),
    /listing 0 is your own/)
  assert.match(await fails(['market', 'buy', '--account', 'grantee', '--listing', '0', '--next', '3']),
    /sells recorded intervals: name them with --intervals/)
  const bought = await ok(['market', 'buy', '--account', 'grantee', '--listing', '0', '--intervals', '21..=23'])
  assert.equal(bought.order, 0)
  assert.equal(bought.held, String(3n * 10n ** 17n), 'three intervals held in escrow')
  const open = (await ok(['market', 'orders', '--buyer', accounts.grantee.address])).orders
  assert.deepEqual(open.map((o) => [o.order, o.settled, o.closed]), [[0, 0, false]])
  assert.match(open[0].status, /^open: interval 21 due by block \d+, settles from block \d+$/)

  // Only the seller delivers; the delivery is a grant of exactly the ordered intervals.
  assert.match(await fails(['market', 'deliver', '--account', 'grantee', '--order', '0', '--proxies', accounts.proxy.address]),
    /order 0 is sold by .*, not by grantee/)
  await ok(['market', 'deliver', '--account', 'owner', '--order', '0', '--proxies', accounts.proxy.address])
  const out = join(dir, 'bought.jsonl')
  await ok(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '21..=23', '--out', out])
  assert.equal(await readFile(out, 'utf8'), intervalsText(21, 23), 'the buyer reads what it bought, bit-exact')
  assert.match(await fails(['fetch', '--account', 'grantee', '--stream', '0', '--intervals', '24']),
    /no grant of yours covers interval 24/)

  const confirmed = await ok(['market', 'confirm', '--account', 'grantee', '--order', '0'])
  assert.deepEqual([confirmed.paid, confirmed.refunded, confirmed.to_seller, confirmed.closed],
    [3, 0, String(3n * 10n ** 17n), true])
  await ok(['market', 'rate', '--account', 'grantee', '--order', '0', '--score', '5'])
  assert.deepEqual((await ok(['market', 'orders'])).orders, [], 'a rated order is removed')
  await ok(['market', 'delist', '--account', 'owner', '--listing', '0'])
  assert.deepEqual((await ok(['market', 'listings'])).listings, [])
})

test('content altered in the IPFS repository is detected against the on-chain hash', async () => {
  const stream = await ok(['stream', 'show', '0', '--records'])
  const record = stream.records[2]
  // Find the block file that holds record 2's upload (small uploads are one raw block) and
  // flip one bit in it, behind the daemon's back.
  const blocks = join(ipfs.repoPath, 'blocks')
  let tampered = null
  for (const shard of await readdir(blocks)) {
    for (const name of await readdir(join(blocks, shard)).catch(() => [])) {
      const path = join(blocks, shard, name)
      const bytes = await readFile(path).catch(() => null)
      if (bytes && bytes.length === record.size && blake2AsHex(bytes, 256) === record.content_hash) {
        bytes[bytes.length >> 1] ^= 1
        await writeFile(path, bytes)
        tampered = path
      }
    }
  }
  assert.ok(tampered, 'found the upload in the IPFS repository')

  const r = await cpc(['verify', '--stream', '0'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /20 records checked \(0\.\.20\), 1 failed/)
  assert.match(r.stdout, new RegExp(`record 2 \\(${record.cid}\\): content hash mismatch`))
  assert.match(await fails(['fetch', '--account', 'owner', '--stream', '0', '--intervals', '10..=11']),
    /record 2 .*content hash mismatch/)
  // Records elsewhere still read.
  await ok(['fetch', '--account', 'owner', '--stream', '0', '--intervals', '0..=9', '--out', join(dir, 'early.jsonl')])
})

test('an IPFS object larger than its record is refused within bounded memory', async () => {
  // The stream owner registers the CID of a 64 MiB object as a 4 KiB record: every reader
  // must stop at the registered size instead of downloading (and holding) the object.
  const created = await ok(['stream', 'create', '--account', 'owner', '--device', '0', '--name', 'big',
    '--period-ms', '1000', '--encryption-interval', '1', '--upload-interval', '1'])
  const form = new FormData()
  form.append('file', new Blob([randomBytes(64 * 1024 * 1024)]), 'big.bin')
  const added = await fetch(`${ipfs.apiUrl}/api/v0/add?cid-version=1&pin=false`, { method: 'POST', body: form })
  assert.ok(added.ok, `ipfs add: HTTP ${added.status}`)
  const cid = (await added.json()).Hash
  const api = await ApiPromise.create({ provider: new WsProvider(node.wsUrl), noInitWarn: true })
  try {
    const bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob')
    await send(api, api.tx.dataRegistry.appendRecord(created.stream, {
      cid: '0x' + Buffer.from(cid).toString('hex'),
      contentHash: '0x' + '11'.repeat(32),
      merkleRoot: '0x' + '22'.repeat(32),
      size: 4096,
      intervals: { first: 0, last: 0 },
      timestampMs: 1,
      prev: '0x' + '00'.repeat(32)
    }, null), bob, { what: 'the lying record' })
  } finally {
    await api.disconnect()
  }
  const honest = await cpcMeasured(['verify', '--stream', '0'])
  const lying = await cpcMeasured(['verify', '--stream', String(created.stream)])
  console.log(`# cpc verify peak RSS: ${honest.peakMiB.toFixed(1)} MiB for stream 0, ` +
    `${lying.peakMiB.toFixed(1)} MiB against the 64 MiB object`)
  assert.equal(lying.code, 1, lying.stderr)
  assert.match(lying.stdout, /1 records checked .*1 failed/)
  assert.match(lying.stdout, /larger than the 4096 bytes expected; reading stopped/)
  assert.ok(lying.peakMiB > 0, 'memory was sampled')
  assert.ok(lying.peakMiB < honest.peakMiB + 16,
    `bounded memory: ${lying.peakMiB.toFixed(1)} MiB against ${honest.peakMiB.toFixed(1)} MiB for honest records`)
  // A fetch unlocks the key store first (scrypt takes 128 MiB): compare with an honest fetch.
  const honestFetch = await cpcMeasured(['fetch', '--account', 'owner', '--stream', '0', '--intervals', '0..=0',
    '--out', join(dir, 'first.jsonl')])
  assert.equal(honestFetch.code, 0, honestFetch.stderr)
  const fetched = await cpcMeasured(['fetch', '--account', 'owner', '--stream', String(created.stream)])
  console.log(`# cpc fetch peak RSS: ${honestFetch.peakMiB.toFixed(1)} MiB for one honest record, ` +
    `${fetched.peakMiB.toFixed(1)} MiB against the 64 MiB object`)
  assert.notEqual(fetched.code, 0)
  assert.match(fetched.stderr, /larger than the 4096 bytes expected/)
  assert.ok(fetched.peakMiB < honestFetch.peakMiB + 16, `fetch: ${fetched.peakMiB.toFixed(1)} MiB`)
})

test('a rotated device key: records signed with the old one are refused at once, the new one signs', async () => {
  await ok(['key', 'create', '--name', 'sensor2', '--kind', 'device', '--scheme', 'sr25519'])
  await ok(['device', 'rotate', '--account', 'owner', '--device', '0', '--key', 'sensor2'])
  const more = lines.slice(0, 30).map((l, i) => JSON.stringify({ t: T0 + (READINGS + i) * 1000, seq: READINGS + i }))
  await writeFile(join(dir, 'more.jsonl'), more.join('\n') + '\n')
  const args = (key) => ['ingest', '--account', 'owner', '--stream', '0', '--device-key', key, join(dir, 'more.jsonl')]
  assert.match(await fails(args('sensor')), /DataRegistry\.BadDeviceSignature/)
  // The refused records are known not to be on chain: the next run neither waits nor fails.
  const again = await ok(args('sensor2'))
  assert.deepEqual([again.readings, again.records, again.next_record, again.rebuilt], [30, 1, 21, 0])
  const device = await ok(['device', 'show', '0'])
  assert.equal(device.retired_keys, 1)
  await ok(['device', 'revoke', '--account', 'owner', '--device', '0'])
  const later = JSON.stringify({ t: T0 + (READINGS + 100) * 1000, seq: READINGS + 100 })
  await writeFile(join(dir, 'more.jsonl'), later + '\n')
  assert.match(await fails(args('sensor2')), /DataRegistry\.DeviceRevoked/)
})

test('an unreachable node or IPFS daemon is a clear error', async () => {
  assert.match(await fails(['stream', 'show', '0'], { CPC_NODE: 'ws://127.0.0.1:1' }),
    /cannot reach the node at ws:\/\/127\.0\.0\.1:1/)
  assert.match(await fails(['verify', '--stream', '0'], { CPC_IPFS: 'http://127.0.0.1:1' }),
    /IPFS daemon at http:\/\/127\.0\.0\.1:1 is unreachable/)
  assert.match(await fails(['stream', 'show', '99']), /stream 99 does not exist/)
})

// Last: the runtime's checks (migrations, storage versions, decoding, every pallet's
// `try_state`) against the state the tests above left (e2e/lib/try-state.mjs).
test('every pallet\'s try_state holds on the state these tests left', async () => {
  await assertTryState(node)
})
