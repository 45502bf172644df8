// Kubo's `/api/v0/add` answers `"Size": "<decimal string>"`; js-ipfs answers a number, which
// Kubo clients (ipfs-api-prelude's AddResponse among them) refuse to decode. Make js-ipfs
// answer like Kubo. Runs as the package's postinstall step; safe to run again.
'use strict'
const fs = require('fs')
const path = require('path')

const file = path.join(__dirname, 'node_modules', 'ipfs-http-server', 'src', 'api',
  'resources', 'files-regular.js')
const original = '                  Size: file.size,\n'
const patched = '                  Size: String(file.size),\n'

const source = fs.readFileSync(file, 'utf8')
if (source.includes(patched)) {
  process.exit(0)
}
if (!source.includes(original)) {
  console.error(`patch-add-size: the expected line was not found in ${file}; ` +
    'has the ipfs-http-server version changed?')
  process.exit(1)
}
fs.writeFileSync(file, source.replace(original, patched))
console.log('patch-add-size: /api/v0/add now reports Size as a string, as Kubo does')
