// The smallest PeerJS call the way its documentation recommends (https://peerjs.com/docs/):
// one Peer per page on the PeerServer that served it, a media call from the caller, `reconnect()`
// on `disconnected`, and the caller calling again when its call closes. A plain reference for
// bench:peers, not product code. ?me=ada&them=bob&call=1 makes this page the caller.
/* global Peer */
const params = new URLSearchParams(location.search);
const me = params.get('me');
const them = params.get('them');
const caller = params.get('call') === '1';
const grid = document.getElementById('video-grid');
const events = [];
window.__peerjsEvents = events;
const log = (what) => {
  events.push({ at: Date.now(), what });
  document.getElementById('log').textContent += `${what}\n`;
};

function show(name, stream) {
  let video = grid.querySelector(`video[data-name="${name}"]`);
  if (!video) {
    video = document.createElement('video');
    video.dataset.name = name;
    video.dataset.remote = 'true';
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    grid.append(video);
  }
  video.srcObject = stream;
}

async function main() {
  const local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const peer = new Peer(me, {
    host: location.hostname,
    port: Number(location.port),
    path: '/peerjs',
    config: { iceServers: [] },
  });
  let call = null;

  const wire = (c) => {
    call = c;
    c.on('stream', (stream) => {
      log('stream');
      show(them, stream);
    });
    c.on('close', () => {
      log('call closed');
      if (call === c) call = null;
      if (caller) setTimeout(callThem, 500);
    });
    c.on('error', (e) => log(`call error ${e.type ?? e}`));
  };

  function callThem() {
    if (call || peer.destroyed) return;
    if (peer.disconnected || !peer.open) {
      setTimeout(callThem, 500);
      return;
    }
    log('calling');
    wire(peer.call(them, local));
  }

  peer.on('open', (id) => {
    log(`open ${id}`);
    if (caller) callThem();
  });
  peer.on('call', (c) => {
    log('answering');
    call?.close();
    c.answer(local);
    wire(c);
  });
  // The documented recovery of the signaling link: reconnect, again while it fails.
  peer.on('disconnected', () => {
    log('disconnected');
    const retry = () => {
      if (!peer.disconnected || peer.destroyed) return;
      peer.reconnect();
      setTimeout(retry, 1_000);
    };
    retry();
  });
  peer.on('error', (e) => {
    log(`error ${e.type}`);
    // The callee not registered yet (or again): try the call later.
    if (e.type === 'peer-unavailable' && caller) {
      call = null;
      setTimeout(callThem, 1_000);
    }
  });
}

main().catch((e) => log(`failed ${e.message}`));
