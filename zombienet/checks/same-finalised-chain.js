// zombienet js-script: returns 1 when the nodes named in `args[0]` (comma-separated; default
// every committee member) have the same block hash at every height up to the lowest finalised
// height among them (no conflicting finality, ever).
async function run (nodeName, networkInfo, args) {
  const names = ((args && args[0]) || 'alice,bob,charlie,dave').split(',')
  const apis = await Promise.all(names.map((n) => zombie.connect(networkInfo.nodesByName[n].wsUri)))
  try {
    const heights = await Promise.all(apis.map(async (api) =>
      (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()))
    const top = Math.min(...heights)
    if (top < 1) throw new Error(`nothing finalised: ${heights}`)
    for (let h = 1; h <= top; h++) {
      const hashes = await Promise.all(apis.map(async (api) => (await api.rpc.chain.getBlockHash(h)).toHex()))
      if (new Set(hashes).size !== 1) throw new Error(`height ${h}: finalised hashes differ: ${hashes}`)
    }
    console.log(`${names.join(', ')} agree on ${top} finalised blocks`)
    return 1
  } finally {
    await Promise.all(apis.map((api) => api.disconnect()))
  }
}

module.exports = { run }
