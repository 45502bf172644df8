// zombienet js-script: waits until the chain has moved past its first term (a session
// rotation ran the committee election) and returns the current term. The committee of the
// new term must be the genesis committee (nobody campaigned), in every node's view.
async function run (nodeName, networkInfo) {
  const { wsUri } = networkInfo.nodesByName[nodeName]
  const api = await zombie.connect(wsUri)
  try {
    for (;;) {
      const term = (await api.query.committee.currentTerm()).toNumber()
      if (term >= 1) {
        const validators = (await api.query.session.validators()).map((a) => a.toString())
        const committee = (await api.query.committee.committees(term)).unwrap()
          .map((a) => a.toString())
        if (validators.length !== 4 || committee.length !== 4) {
          throw new Error(`term ${term}: validators ${validators}, committee ${committee}`)
        }
        return term
      }
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
