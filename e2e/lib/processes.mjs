// Starting and stopping the real programs the end-to-end tests drive: cpchain-node and the
// local IPFS daemon. Every process gets free loopback ports and a temporary directory, and
// its output goes to a log file that a failing test prints.
import { spawn, execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, homedir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openSync, closeSync } from 'node:fs'
import { promisify } from 'node:util'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The node binary under test: $CPCHAIN_NODE, or the release build in the shared target dir. */
export function nodeBinary () {
  if (process.env.CPCHAIN_NODE) return process.env.CPCHAIN_NODE
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'cpchain', 'target')
  return join(target, 'release', 'cpchain-node')
}

/** The `cpc` command line under test: $CPC_BIN, or the release build beside the node. */
export function cpcBinary () {
  if (process.env.CPC_BIN) return process.env.CPC_BIN
  return join(dirname(nodeBinary()), 'cpc')
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls one JSON-RPC method over HTTP; resolves to the result, rejects on an RPC error. */
export async function rpc (url, method, params = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method, params })
  })
  const body = await response.json()
  if (body.error) {
    const error = new Error(`${method}: ${body.error.message}`)
    error.rpc = body.error
    throw error
  }
  return body.result
}

/**
 * Starts `cpchain-node --dev --tmp` on free ports and waits until its RPC answers.
 * Returns { wsUrl, httpUrl, logFile, stop() }.
 */
export async function startNode (extraArgs = []) {
  const dir = await mkdtemp(join(tmpdir(), 'cpchain-e2e-node-'))
  const [rpcPort, p2pPort, promPort] = [await freePort(), await freePort(), await freePort()]
  const logFile = join(dir, 'node.log')
  const out = openSync(logFile, 'w')
  const child = spawn(nodeBinary(), [
    '--dev', '--base-path', join(dir, 'chain'),
    '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--prometheus-port', String(promPort), '--no-telemetry', '--no-mdns',
    ...extraArgs
  ], { stdio: ['ignore', out, out] })
  closeSync(out)
  let exited = null
  child.on('exit', (code, signal) => { exited = { code, signal } })

  const httpUrl = `http://127.0.0.1:${rpcPort}`
  const node = {
    wsUrl: `ws://127.0.0.1:${rpcPort}`,
    httpUrl,
    logFile,
    async log () { return readFile(logFile, 'utf8').catch(() => '') },
    async stop () {
      if (exited === null) {
        child.kill('SIGINT')
        for (let i = 0; i < 100 && exited === null; i++) await sleep(100)
        if (exited === null) child.kill('SIGKILL')
      }
      await rm(dir, { recursive: true, force: true })
    }
  }
  for (let i = 0; i < 120; i++) {
    if (exited !== null) {
      const log = await node.log()
      await node.stop()
      throw new Error(`cpchain-node exited during start-up (${JSON.stringify(exited)}):\n${log}`)
    }
    try {
      await rpc(httpUrl, 'system_health')
      return node
    } catch {
      await sleep(500)
    }
  }
  const log = await node.log()
  await node.stop()
  throw new Error(`cpchain-node did not answer on ${httpUrl} within 60 s:\n${log}`)
}

/**
 * Starts the project's local IPFS daemon (scripts/ipfs.sh) with its own repository and free
 * ports. Returns { apiUrl, repoPath, stop() }.
 */
export async function startIpfs () {
  const dir = await mkdtemp(join(tmpdir(), 'cpchain-e2e-ipfs-'))
  const env = {
    ...process.env,
    IPFS_PATH: join(dir, 'repo'),
    IPFS_API_PORT: String(await freePort()),
    IPFS_GATEWAY_PORT: String(await freePort()),
    IPFS_SWARM_PORT: String(await freePort()),
    IPFS_RPC_PORT: String(await freePort())
  }
  const script = join(REPO_ROOT, 'scripts', 'ipfs.sh')
  const run = promisify(execFile)
  await run(script, ['start'], { env })
  return {
    apiUrl: `http://127.0.0.1:${env.IPFS_API_PORT}`,
    repoPath: env.IPFS_PATH,
    async stop () {
      await run(script, ['stop'], { env }).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
}
