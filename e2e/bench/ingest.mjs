// Ingest benchmark: `cpc ingest` end to end (encrypt, store on IPFS, register on chain) against
// `ipfs add` of the same number of objects of the same sizes on the same daemon, on a fresh
// `cpchain-node --dev` and the local IPFS daemon. Prints a Markdown table row set for
// docs/benchmarks.md. Run through scripts/benchmark-ingest.sh.
//
// Environment: READINGS (default 200000, one reading per 100 ms of device time), BATCH
// (records per transaction, default 32), UPLOAD_INTERVAL (blocks of 10 s per upload, default
// 60, about 330 KB per upload).
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNode, startIpfs, cpcBinary } from '../lib/processes.mjs'

const READINGS = Number(process.env.READINGS || 200_000)
const BATCH = Number(process.env.BATCH || 32)
const STREAM = { period: 10_000, e: 60, u: Number(process.env.UPLOAD_INTERVAL || 60) }

function run (args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cpcBinary(), [...args, '--json'], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('close', (code) => code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`cpc ${args[0]}: ${stderr}`)))
  })
}

async function ipfsAdd (apiUrl, bytes) {
  const form = new FormData()
  form.append('file', new Blob([bytes]))
  const response = await fetch(`${apiUrl}/api/v0/add?pin=true&cid-version=1&raw-leaves=true`, { method: 'POST', body: form })
  if (!response.ok) throw new Error(`ipfs add: ${response.status}`)
  await response.text()
}

const dir = await mkdtemp(join(tmpdir(), 'cpchain-bench-ingest-'))
const ipfs = await startIpfs()
const node = await startNode()
try {
  const env = { ...process.env, CPC_DATA_DIR: join(dir, 'cpc'), CPC_NODE: node.wsUrl, CPC_IPFS: ipfs.apiUrl, CPC_PASSWORD: 'bench' }
  const t0 = 1_700_000_000_000
  const lines = []
  for (let i = 0; i < READINGS; i++) {
    lines.push(JSON.stringify({ t: t0 + i * 100, temp: Math.round(200 + (i % 97)) / 10, hum: 40 + (i % 13), seq: i }))
  }
  const input = lines.join('\n') + '\n'
  const file = join(dir, 'readings.jsonl')
  await writeFile(file, input)
  await run(['key', 'import', '--name', 'owner', '--suri', '//Bob'], env)
  await run(['key', 'create', '--name', 'sensor', '--kind', 'device', '--scheme', 'ed25519'], env)
  await run(['device', 'register', '--account', 'owner', '--key', 'sensor'], env)
  await run(['stream', 'create', '--account', 'owner', '--device', '0', '--name', 'bench', '--period-ms', String(STREAM.period),
    '--encryption-interval', String(STREAM.e), '--upload-interval', String(STREAM.u)], env)

  // The fixed cost of a run (unlock two keys, connect, read the metadata, reconcile): an
  // ingest of nothing.
  await writeFile(join(dir, 'empty.jsonl'), '')
  let start = process.hrtime.bigint()
  await run(['ingest', '--account', 'owner', '--stream', '0', '--device-key', 'sensor', join(dir, 'empty.jsonl')], env)
  const startupSeconds = Number(process.hrtime.bigint() - start) / 1e9

  start = process.hrtime.bigint()
  const summary = await run(['ingest', '--account', 'owner', '--stream', '0', '--device-key', 'sensor', '--batch', String(BATCH), file], env)
  const ingestSeconds = Number(process.hrtime.bigint() - start) / 1e9

  // The same number of objects with the same total size, straight to IPFS.
  const stream = await run(['stream', 'show', '0', '--records'], env)
  const sizes = stream.records.map((r) => r.size)
  const blobs = sizes.map((size, i) => { const b = Buffer.alloc(size); for (let j = 0; j < size; j += 4096) b[j] = (i + j) & 0xff; b[0] = i & 0xff; b[1] = i >> 8; return b })
  start = process.hrtime.bigint()
  for (const blob of blobs) await ipfsAdd(ipfs.apiUrl, blob)
  const addSeconds = Number(process.hrtime.bigint() - start) / 1e9

  start = process.hrtime.bigint()
  const fetched = await run(['fetch', '--account', 'owner', '--stream', '0', '--out', join(dir, 'back.jsonl')], env)
  const fetchSeconds = Number(process.hrtime.bigint() - start) / 1e9
  const back = await readFile(join(dir, 'back.jsonl'), 'utf8')
  if (back !== input) throw new Error('the fetched readings differ from the input')

  const mib = summary.bytes / 2 ** 20
  const plainMib = input.length / 2 ** 20
  console.log(`readings: ${READINGS} (${plainMib.toFixed(2)} MiB of JSON lines), ${summary.blocks} blocks, ${summary.records} records of ${STREAM.u} blocks, batch ${BATCH}`)
  console.log('| measure | value |')
  console.log('|---|---|')
  console.log(`| cpc ingest, end to end (${mib.toFixed(2)} MiB of uploads) | ${ingestSeconds.toFixed(1)} s, ${(mib / ingestSeconds).toFixed(2)} MiB/s |`)
  console.log(`| ipfs add, ${sizes.length} objects of the same sizes | ${addSeconds.toFixed(2)} s, ${(mib / addSeconds).toFixed(2)} MiB/s |`)
  console.log(`| ratio ingest / ipfs add, end to end | ${(addSeconds / ingestSeconds).toFixed(3)} |`)
  const dataSeconds = ingestSeconds - summary.chain_wait_seconds
  console.log(`| ingest without the time blocked on finality (${summary.chain_wait_seconds.toFixed(1)} s) | ${dataSeconds.toFixed(2)} s, ${(mib / dataSeconds).toFixed(2)} MiB/s, ratio to ipfs add ${(addSeconds / dataSeconds).toFixed(3)} |`)
  const streaming = dataSeconds - startupSeconds
  console.log(`| same, without the fixed start-up of a run (${startupSeconds.toFixed(2)} s: unlock keys, connect, metadata, reconcile) | ${streaming.toFixed(2)} s, ${(mib / streaming).toFixed(2)} MiB/s, ratio to ipfs add ${(addSeconds / streaming).toFixed(3)} |`)
  console.log(`| records registered per second | ${(summary.records / ingestSeconds).toFixed(2)} |`)
  console.log(`| cpc fetch as owner (verify + decrypt ${fetched.records} records) | ${fetchSeconds.toFixed(1)} s, ${(plainMib / fetchSeconds).toFixed(2)} MiB/s of readings |`)
} finally {
  await node.stop()
  await ipfs.stop()
  await rm(dir, { recursive: true, force: true })
}
