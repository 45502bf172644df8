// zombienet js-script: waits until this node (outside the committee) has finalised as far as
// alice had when the script started, then returns 1 if every block from 1 to there carries a
// DPoR justification on this node (each one was checked against its committee on import).
async function run (nodeName, networkInfo) {
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri)
  const alice = await zombie.connect(networkInfo.nodesByName.alice.wsUri)
  const finalised = async (a) =>
    (await a.rpc.chain.getHeader(await a.rpc.chain.getFinalizedHead())).number.toNumber()
  try {
    const target = await finalised(alice)
    while ((await finalised(api)) < target) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    let missing = []
    for (let h = 1; h <= target; h++) {
      const hash = await api.rpc.chain.getBlockHash(h)
      const block = await api.rpc.chain.getBlock(hash)
      const justifications = block.justifications.isSome ? block.justifications.unwrap() : []
      const dpor = justifications.some(([engine]) => engine.toString() === 'DPOR' || engine.toHex() === '0x44504f52')
      if (!dpor) missing.push(h)
    }
    if (missing.length) throw new Error(`no DPoR justification for blocks ${missing.join(', ')} of ${target}`)
    console.log(`${target} blocks synced, each with a DPoR justification`)
    return 1
  } finally {
    await api.disconnect()
    await alice.disconnect()
  }
}

module.exports = { run }
