// zombienet js-script: waits until this node (outside the committee) has finalised as far as
// alice had when the script started, then returns 1 if every block it synced after its sleep
// carries a DPoR justification on this node (each one was checked against its committee on
// import). The node is paused only once the network runs (faults.zndsl), before alice's
// finalised height reaches 3: blocks up to 3 may have been imported while it was awake and
// finalised later as ancestors of a justified block, without a justification of their own.
const AWAKE_UNTIL = 3
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
    missing = missing.filter((h) => h > AWAKE_UNTIL)
    if (target <= AWAKE_UNTIL + 5) throw new Error(`only ${target} blocks: too few to check`)
    if (missing.length) throw new Error(`no DPoR justification for blocks ${missing.join(', ')} of ${target}`)
    console.log(`synced to ${target}; blocks ${AWAKE_UNTIL + 1}..${target} each with a DPoR justification`)
    return 1
  } finally {
    await api.disconnect()
    await alice.disconnect()
  }
}

module.exports = { run }
