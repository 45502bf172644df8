// zombienet js-script: returns 1 once the node's finalised height has grown by `args[0]`
// blocks (default 5) from when the script started.
async function run (nodeName, networkInfo, args) {
  const { wsUri } = networkInfo.nodesByName[nodeName]
  const api = await zombie.connect(wsUri)
  const finalised = async () =>
    (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()
  try {
    const by = Number((args && args[0]) || 5)
    const start = await finalised()
    for (;;) {
      if ((await finalised()) >= start + by) return 1
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
