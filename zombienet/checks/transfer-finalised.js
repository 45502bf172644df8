// zombienet js-script: a signed transfer submitted to the node reaches a block that the
// whole network finalises, and the recipient's balance is there at that block.
// Returns 1 on success; throws otherwise.
async function run (nodeName, networkInfo) {
  const { wsUri } = networkInfo.nodesByName[nodeName]
  const api = await zombie.connect(wsUri)
  try {
    await zombie.util.cryptoWaitReady()
    const keyring = new zombie.Keyring({ type: 'sr25519' })
    const bob = keyring.addFromUri('//Bob')
    const recipient = keyring.addFromUri(`//zombienet-${Date.now()}`)
    const amount = 5n * 10n ** 18n

    let timer
    const blockHash = await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('timed out after 90 s waiting for the transfer to be finalised')), 90_000)
      api.tx.balances.transferKeepAlive(recipient.address, amount)
        .signAndSend(bob, ({ status, dispatchError }) => {
          if (dispatchError) reject(new Error(`dispatch error: ${dispatchError.toString()}`))
          if (status.isFinalized) resolve(status.asFinalized)
          if (status.isInvalid || status.isDropped || status.isUsurped) reject(new Error(`transaction ${status.type}`))
        })
        .catch(reject)
    }).finally(() => clearTimeout(timer))
    const at = await api.at(blockHash)
    const free = (await at.query.system.account(recipient.address)).data.free.toBigInt()
    if (free !== amount) throw new Error(`recipient has ${free}, expected ${amount}`)
    return 1
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
