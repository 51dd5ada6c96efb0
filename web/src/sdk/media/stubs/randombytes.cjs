// simple-peer@9 only asks for random bytes as hex (its peer id and data-channel name); this
// answers from `crypto.getRandomValues` instead of randombytes + safe-buffer + buffer.
module.exports = function randomBytes(size) {
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  return { toString: () => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') };
};
