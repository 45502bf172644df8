// A 4-member `local` network on loopback for the benchmarks: Alice, Bob, Charlie and Dave with
// their dev keys, fixed libp2p keys (Alice is everyone's bootnode), free ports, one directory
// with a log per member.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, nodeBinary, rpc } from './processes.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Fixed libp2p keys (authorities must have one); Alice's peer id follows from hers.
const NODE_KEYS = { alice: 1, bob: 2, charlie: 3, dave: 4 }
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
export const MEMBERS = Object.keys(NODE_KEYS)

/**
 * Starts one member and waits (at most 120 s) until its RPC answers. Resolves to
 * { name, child, p2pPort, wsUrl }.
 */
export async function startMember (name, dir, bootnode, extraArgs = []) {
  const [rpcPort, p2pPort] = [await freePort(), await freePort()]
  const out = openSync(join(dir, `${name}.log`), 'w')
  const args = [
    '--chain', 'local', `--${name}`, '--base-path', join(dir, name),
    '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--no-telemetry', '--no-mdns', '--no-prometheus',
    '--node-key', NODE_KEYS[name].toString(16).padStart(64, '0'),
    ...extraArgs
  ]
  if (bootnode) args.push('--bootnodes', bootnode)
  const child = spawn(nodeBinary(), args, { stdio: ['ignore', out, out] })
  closeSync(out)
  const httpUrl = `http://127.0.0.1:${rpcPort}`
  for (let i = 0; i < 240; i++) {
    try {
      await rpc(httpUrl, 'system_health')
      return { name, child, p2pPort, wsUrl: `ws://127.0.0.1:${rpcPort}` }
    } catch {
      await sleep(500)
    }
  }
  child.kill('SIGKILL')
  const log = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '')
  throw new Error(`${name} did not start:\n${log.slice(-2000)}`)
}

/** Starts all four members into `dir` (`extraArgs` for each); resolves to { alice, bob, ... }. */
export async function startNetwork (dir, extraArgs = []) {
  const members = {}
  try {
    members.alice = await startMember('alice', dir, undefined, extraArgs)
    const bootnode = `/ip4/127.0.0.1/tcp/${members.alice.p2pPort}/p2p/${ALICE_PEER_ID}`
    for (const name of MEMBERS.slice(1)) members[name] = await startMember(name, dir, bootnode, extraArgs)
  } catch (error) {
    await stopNetwork(members)
    throw error
  }
  return members
}

/** Stops every member: SIGINT, then SIGKILL after 3 s. */
export async function stopNetwork (members) {
  for (const m of Object.values(members)) {
    m.child.kill('SIGCONT')
    m.child.kill('SIGINT')
  }
  await sleep(3000)
  for (const m of Object.values(members)) m.child.kill('SIGKILL')
}

/** The median (p = 50), p99, … of an ascending array; NaN when empty. */
export function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** Resident memory of a process in MiB (Linux `/proc`), or NaN once it is gone. */
export async function rssMiB (pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)[1])
    return kib / 1024
  } catch {
    return NaN
  }
}
