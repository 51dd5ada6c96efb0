// simple-peer@9's one use of Buffer is wrapping a data-channel message (`Buffer.from`), which the
// SDK never sends: a byte view does, instead of the `buffer` package (~6 KB gzipped).
module.exports = { Buffer: { from: (data) => new Uint8Array(data) } };
