// zombienet js-script: returns 1 once a finalised block carries `Dpor.EquivocationReported`
// (votes) or `Dpor.SealEquivocationReported` (blocks) naming the account of node `args[0]`
// (default dave, whose account is //Dave); counts them and prints the offender's reputation.
async function run (nodeName, networkInfo, args) {
  const name = (args && args[0]) || 'dave'
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri)
  await zombie.util.cryptoWaitReady()
  const offender = new zombie.Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 })
    .addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`).address
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  try {
    let next = 1
    let reports = 0
    for (;;) {
      const top = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()
      for (; next <= top; next++) {
        const at = await api.at(await api.rpc.chain.getBlockHash(next))
        for (const { event } of await at.query.system.events()) {
          if (event.section === 'dpor' && /EquivocationReported$/.test(event.method) &&
              event.data[0].toString() === offender) {
            reports++
            console.log(`#${next}: ${event.method} ${JSON.stringify(event.data.toHuman())}`)
          }
        }
      }
      if (reports > 0) {
        const reputation = (await api.query.reputation.reputations(offender)).toHuman()
        const ledger = (await api.query.reputation.ledgers(offender)).toHuman()
        console.log(`${reports} reports against ${name} by #${top}; reputation ${JSON.stringify(reputation)}, ledger ${JSON.stringify(ledger)}`)
        return 1
      }
      await sleep(2000)
    }
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
