// js-ipfs 0.66 calls Promise.withResolvers, which Node.js only has from version 22.
// Loaded with `node --require` by scripts/ipfs.sh so that the daemon runs on Node.js 20.
'use strict'
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
