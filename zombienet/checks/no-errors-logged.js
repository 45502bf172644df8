// zombienet js-script: returns 1 when no node of the network logged an error or a panic so
// far, 0 (after printing the offending lines) otherwise. Reads each node's log file in the
// network's directory (the native provider writes `<node>.log` there). The optional argument
// is a comma-separated list of node names to read instead of all.
const fs = require('fs')
const path = require('path')

// An ERROR-level line of the node's logger, or a Rust panic.
const BAD = /(^|\s)ERROR(\s|$)|panicked at|thread '.*' panicked/

async function run (_nodeName, networkInfo, args) {
  const names = args && args[0] ? args[0].split(',') : Object.keys(networkInfo.nodesByName)
  const bad = []
  for (const name of names) {
    const file = path.join(networkInfo.tmpDir, `${name}.log`)
    if (!fs.existsSync(file)) {
      console.log(`no log file for ${name} at ${file}`)
      return 0
    }
    const lines = fs.readFileSync(file, 'utf8').split('\n')
    for (const line of lines) {
      if (BAD.test(line)) bad.push(`${name}: ${line}`)
    }
    console.log(`${name}: ${lines.length} log lines read`)
  }
  for (const line of bad.slice(0, 20)) console.log(line)
  if (bad.length > 20) console.log(`… and ${bad.length - 20} more`)
  return bad.length === 0 ? 1 : 0
}

module.exports = { run }
