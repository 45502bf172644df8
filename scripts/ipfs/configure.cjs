// Points a freshly initialised IPFS repository at loopback only and cuts it off from the
// public network: no bootstrap peers, no MDNS, no delegates, no DHT. Works on both Kubo's
// and js-ipfs's config file (the same JSON layout).
//
// usage: node configure.cjs <repo dir> <api port> <gateway port> <swarm port> [rpc port]
'use strict'
const fs = require('fs')
const path = require('path')

const [repo, api, gateway, swarm, rpc] = process.argv.slice(2)
if (!repo || !api || !gateway || !swarm) {
  console.error('usage: node configure.cjs <repo dir> <api port> <gateway port> <swarm port> [rpc port]')
  process.exit(2)
}
for (const port of [api, gateway, swarm, rpc].filter(Boolean)) {
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    console.error(`configure.cjs: not a TCP port: ${port}`)
    process.exit(2)
  }
}

const file = path.join(repo, 'config')
const config = JSON.parse(fs.readFileSync(file, 'utf8'))
config.Addresses = config.Addresses || {}
config.Addresses.API = `/ip4/127.0.0.1/tcp/${api}`
config.Addresses.Gateway = `/ip4/127.0.0.1/tcp/${gateway}`
config.Addresses.Swarm = [`/ip4/127.0.0.1/tcp/${swarm}`]
config.Addresses.Announce = []
config.Addresses.Delegates = []
if (rpc) {
  // js-ipfs only: its gRPC-over-websocket endpoint.
  config.Addresses.RPC = `/ip4/127.0.0.1/tcp/${rpc}`
}
config.Bootstrap = []
config.Discovery = config.Discovery || {}
config.Discovery.MDNS = { ...(config.Discovery.MDNS || {}), Enabled: false }
config.Routing = { ...(config.Routing || {}), Type: 'none' }
fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n')
