// simple-peer@9 makes each peer a Node Duplex stream for its data-channel API (write / 'data');
// the SDK never uses it (media tracks and `signal` events only). This keeps the little of a
// Duplex that simple-peer itself touches, instead of readable-stream@3 (~10 KB gzipped):
// `push(null)` and `end()` on destroy, the 'finish' event, `_write` behind `write`.
const { EventEmitter } = require('events');

class Duplex extends EventEmitter {
  constructor() {
    super();
    this.readable = true;
    this.writable = true;
    this._readableState = { ended: false };
    this._writableState = { finished: false };
  }

  push(chunk) {
    if (chunk === null) {
      this._readableState.ended = true;
      this.emit('end');
    } else this.emit('data', chunk);
    return true;
  }

  write(chunk, encoding, cb) {
    const done = typeof encoding === 'function' ? encoding : cb;
    this._write(chunk, typeof encoding === 'string' ? encoding : 'buffer', done ?? (() => {}));
    return true;
  }

  end() {
    if (this._writableState.finished) return;
    this._writableState.finished = true;
    this.emit('finish');
  }
}

module.exports = { Duplex };
