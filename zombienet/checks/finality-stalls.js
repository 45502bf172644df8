// zombienet js-script: returns 1 when the node's finalised height stays the same for 30 s
// (after 10 s for a height already in flight to settle), 0 when it moves.
async function run (nodeName, networkInfo) {
  const { wsUri } = networkInfo.nodesByName[nodeName]
  const api = await zombie.connect(wsUri)
  const finalised = async () =>
    (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  try {
    await sleep(10_000)
    const before = await finalised()
    await sleep(30_000)
    const after = await finalised()
    console.log(`finalised height ${before} -> ${after} with two members of four down`)
    return after === before ? 1 : 0
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
