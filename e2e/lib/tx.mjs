// Sending transactions and waiting for the chain, with a bound on every wait: a test that
// waits for something that never comes fails with a message naming what it waited for,
// instead of hanging the suite.

/** Rejects with `Error(timed out after <ms> ms waiting for <what>)` unless `promise` settles first. */
export function withTimeout (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The name of a dispatch error: `section.Name` for a module error. */
export function dispatchErrorName (api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule)
    return `${section}.${name}`
  }
  return dispatchError.toString()
}

/**
 * Signs and sends `tx` with `signer` and resolves once it is in a block: on `InBlock`, or on
 * `Finalized` if the client reports that first. (A client may: @polkadot/api's `signAndSend`
 * fetches a block's events before it reports `InBlock`, and drops that report when
 * `Finalized` arrives before the fetch completes, which DPoR's fast finality makes likely on
 * a busy machine; see docs/dpor-engine.md.)
 *
 * Resolves to { blockHash, events, dispatchError, status } where `events` are the
 * transaction's events (`EventRecord`s). Rejects on a dispatch error unless
 * `allowDispatchError`, when the transaction is invalid, dropped or usurped, and after
 * `timeoutMs`.
 */
export function send (api, tx, signer, { timeoutMs = 60_000, what, allowDispatchError = false, options } = {}) {
  const label = what ?? `${tx.method.section}.${tx.method.method}`
  let unsubscribe
  const included = new Promise((resolve, reject) => {
    tx.signAndSend(signer, options ?? {}, ({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        reject(new Error(`${label}: transaction ${status.type}`))
        return
      }
      if (!status.isInBlock && !status.isFinalized) return
      if (dispatchError && !allowDispatchError) {
        reject(new Error(`${label}: ${dispatchErrorName(api, dispatchError)}`))
        return
      }
      const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized
      resolve({ blockHash, events, dispatchError, status: status.type })
    }).then((unsub) => { unsubscribe = unsub }, reject)
  })
  return withTimeout(included, timeoutMs, `${label} to be included in a block`)
    .finally(() => { if (unsubscribe) unsubscribe() })
}

/**
 * Polls `check` (an async function) every `everyMs` until it returns a value other than
 * `undefined`/`false`, and resolves to that value; rejects after `timeoutMs` naming `what`.
 */
export async function eventually (check, { timeoutMs = 60_000, everyMs = 500, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
