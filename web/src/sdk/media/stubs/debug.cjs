// simple-peer logs through `debug`; the SDK has its own logger, so the bundle carries a no-op.
module.exports = function createDebug() {
  function debug() {}
  debug.enabled = false;
  return debug;
};
