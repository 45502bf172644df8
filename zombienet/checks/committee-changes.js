// zombienet js-script: the committee changes at a term boundary and finality goes on across
// it. Root (Alice holds the sudo key) sets the committee size to 3 and Alice, Bob and Charlie
// campaign; the next election picks the three of them. Then, once the term they serve has
// started: the committee at its first block has 3 keys, and the blocks from that block on
// are finalised with justifications of that term signed by 3 distinct members of 3 (Dave now
// only follows). Returns the term of the new committee; throws otherwise.
const SIZE = 3
const AFTER_BOUNDARY = 5

// DporJustification (SCALE): term u32, height u64, view u32, block [u8; 32],
// signatures Vec<(u32, [u8; 64])>.
function decodeJustification (bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const term = view.getUint32(0, true)
  const height = Number(view.getBigUint64(4, true))
  let offset = 4 + 8 + 4 + 32
  const mode = bytes[offset] & 3
  let count
  if (mode === 0) { count = bytes[offset] >> 2; offset += 1 } else if (mode === 1) { count = view.getUint16(offset, true) >> 2; offset += 2 } else throw new Error('too many signatures')
  const signers = []
  for (let i = 0; i < count; i++) {
    signers.push(view.getUint32(offset, true))
    offset += 4 + 64
  }
  if (offset !== bytes.length) throw new Error(`justification of ${bytes.length} bytes, decoded ${offset}`)
  return { term, height, signers }
}

async function run (nodeName, networkInfo) {
  const api = await zombie.connect(networkInfo.nodesByName[nodeName].wsUri)
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  try {
    await zombie.util.cryptoWaitReady()
    const keyring = new zombie.Keyring({ type: 'sr25519' })
    const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((u) => keyring.addFromUri(u))
    // Resolves once the transaction is in a block (InBlock, or Finalized when the client
    // reports that first: @polkadot/api may drop InBlock under DPoR's fast finality), within a
    // minute.
    const send = (tx, signer) => {
      const what = `${tx.method.section}.${tx.method.method}`
      let timer
      return new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after 60 s waiting for ${what} in a block`)), 60_000)
        tx.signAndSend(signer, ({ status, dispatchError, events }) => {
          if (dispatchError) reject(new Error(`${what}: dispatch error ${dispatchError.toString()}`))
          if (status.isInBlock || status.isFinalized) {
            const failed = events.find(({ event }) => api.events.sudo.Sudid.is(event) && event.data.sudoResult.isErr)
            if (failed) reject(new Error(`sudo call failed: ${failed.event.data.sudoResult.toString()}`))
            resolve()
          }
          if (status.isInvalid || status.isDropped || status.isUsurped) reject(new Error(`${what}: transaction ${status.type}`))
        }).catch(reject)
      }).finally(() => clearTimeout(timer))
    }

    const claimedAt = (await api.query.committee.currentTerm()).toNumber()
    await Promise.all([
      send(api.tx.sudo.sudo(api.tx.committee.setCommitteeSize(SIZE)), alice),
      send(api.tx.committee.claimCampaign(2), bob),
      send(api.tx.committee.claimCampaign(2), charlie)
    ])
    await send(api.tx.committee.claimCampaign(2), alice)
    console.log(`term ${claimedAt}: committee size ${SIZE}, Alice, Bob and Charlie campaign`)

    // The first term whose committee has SIZE members, once it is the current one.
    let term
    for (;;) {
      const current = (await api.query.committee.currentTerm()).toNumber()
      const committee = await api.query.committee.committees(current)
      if (current > claimedAt && committee.isSome && committee.unwrap().length === SIZE) {
        term = current
        break
      }
      if (current > claimedAt + 4) throw new Error(`term ${current}: the committee did not change`)
      await sleep(2000)
    }
    const termLength = api.consts.committee.termLength.toNumber()
    const boundary = term * termLength
    console.log(`term ${term} starts at block ${boundary} with ${SIZE} members`)

    const finalised = async () =>
      (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber()
    while ((await finalised()) < boundary + AFTER_BOUNDARY) await sleep(1000)

    const parent = await api.rpc.chain.getBlockHash(boundary - 1)
    // DporApi_committee_for_next_block at the boundary's parent (a raw runtime call: the
    // API that zombienet bundles does not decorate this runtime's APIs). Committee (SCALE):
    // term u32, members Vec<[u8; 32]>.
    const raw = (await api.rpc.state.call('DporApi_committee_for_next_block', '0x', parent)).toU8a(true)
    const committeeTerm = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, true)
    const keys = raw[4] >> 2
    if ((raw[4] & 3) !== 0 || raw.length !== 5 + 32 * keys) throw new Error(`undecodable committee ${raw}`)
    if (committeeTerm !== term || keys !== SIZE) {
      throw new Error(`committee for block ${boundary}: term ${committeeTerm}, ${keys} keys`)
    }
    for (let h = boundary; h <= boundary + AFTER_BOUNDARY; h++) {
      const block = await api.rpc.chain.getBlock(await api.rpc.chain.getBlockHash(h))
      const justifications = block.justifications.isSome ? block.justifications.unwrap() : []
      const dpor = justifications.find(([engine]) => engine.toHex() === '0x44504f52')
      if (!dpor) throw new Error(`block ${h} has no DPoR justification`)
      const j = decodeJustification(dpor[1].toU8a(true))
      const distinct = new Set(j.signers)
      if (j.term !== term || j.height !== h || distinct.size !== SIZE || j.signers.some((s) => s >= SIZE)) {
        throw new Error(`block ${h}: justification of term ${j.term}, height ${j.height}, signers ${j.signers}`)
      }
    }
    console.log(`blocks ${boundary}..${boundary + AFTER_BOUNDARY} finalised by the ${SIZE} members of term ${term}`)
    return term
  } finally {
    await api.disconnect()
  }
}

module.exports = { run }
