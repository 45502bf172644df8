// Bad input on the command line: a clear error and a non-zero exit, never a hang or a
// half-started node.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { nodeBinary } from '../lib/processes.mjs'

/** Runs the node with `args`; resolves to { code, stdout, stderr } (never rejects on exit). */
function runNode (args) {
  return new Promise((resolve) => {
    execFile(nodeBinary(), args, { timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr })
    })
  })
}

test('an unknown flag is refused with a usage error', async () => {
  const { code, stderr } = await runNode(['--dev', '--no-such-flag'])
  assert.notEqual(code, 0)
  assert.match(stderr, /unexpected argument '--no-such-flag'/)
})

test('an unknown chain is refused with a clear error', async () => {
  const { code, stderr } = await runNode(['--chain', 'no-such-chain', '--tmp'])
  assert.notEqual(code, 0)
  assert.match(stderr, /^Error: .*cannot load chain spec "no-such-chain": .*No such file/m)
})

test('build-spec prints the named chain and --version answers', async () => {
  const spec = await runNode(['build-spec', '--chain', 'local', '--disable-default-bootnode'])
  assert.equal(spec.code, 0, spec.stderr)
  const json = JSON.parse(spec.stdout)
  assert.equal(json.id, 'cpchain_local')
  assert.deepEqual(json.properties, { ss58Format: 42, tokenDecimals: 18, tokenSymbol: 'CPC' })
  const version = await runNode(['--version'])
  assert.equal(version.code, 0)
  assert.match(version.stdout, /^cpchain-node /)
})

test('key generation works offline', async () => {
  const { code, stdout } = await runNode(['key', 'generate', '--output-type', 'json'])
  assert.equal(code, 0)
  const key = JSON.parse(stdout)
  assert.match(key.ss58Address, /^5[1-9A-HJ-NP-Za-km-z]{47}$/)
})
