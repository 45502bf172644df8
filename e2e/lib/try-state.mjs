// The runtime's own consistency checks against a live chain: the node's `try-runtime` build
// (scripts/lib/build.sh) has the TryRuntime API, which `state_call` runs on top of a block's
// state without changing it. `on_runtime_upgrade` with `UpgradeCheckSelect::All` runs the
// runtime's migrations with their pre- and post-upgrade checks, checks that every pallet's
// storage version is the one its code declares, decodes the entire state and runs every
// pallet's `try_state`; a failure is a runtime panic, which the RPC answers as an error
// carrying its message.
import assert from 'node:assert/strict'
import { rpc } from './processes.mjs'

/** SCALE of `UpgradeCheckSelect::All`. */
const ALL_CHECKS = '0x01'

/**
 * Runs the checks at block `at` (the best block if omitted); resolves to the RPC's result
 * (the weights), rejects with the runtime's message if a check fails.
 */
export function tryState (node, at) {
  const params = ['TryRuntime_on_runtime_upgrade', ALL_CHECKS]
  if (at) params.push(at)
  return rpc(node.httpUrl, 'state_call', params)
}

/**
 * Asserts that every check holds at block `at`, and that they ran: the runtime logs that the
 * entire state decoded only after it did so. The node's logger writes to its log file from a
 * thread of its own, a while after the call returned, so the line is waited for (10 s).
 */
export async function assertTryState (node, at) {
  const before = (await node.log()).length
  await tryState(node, at)
  await waitForLog(node, before, /Entire runtime state decodes without error/,
    'the try-runtime checks')
}

/**
 * Waits (10 s at most) until the node's log, from offset `from` on, matches `pattern`; the
 * runtime's messages, a failed check's among them, reach the log and not the RPC error.
 */
export async function waitForLog (node, from, pattern, what) {
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (pattern.test((await node.log()).slice(from))) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`the node did not log ${what} within 10 s`)
}
