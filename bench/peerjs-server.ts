/**
 * The PeerJS side of bench:peers, run inside the lab's namespace R: PeerJS's own server (`peer`,
 * mounted as its documentation shows, at /peerjs) and the reference page (bench/peerjs-page/,
 * with the `peerjs` client build), on one origin. Prints `ready` once listening.
 * Run: node --import tsx bench/peerjs-server.ts HOST PORT
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { ExpressPeerServer } from 'peer';

const [host = '127.0.0.1', port = '9000'] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const app = express();
const server = app.listen(Number(port), host, () => console.log('ready'));
app.use('/peerjs', ExpressPeerServer(server, { path: '/' }));
app.get('/peerjs.min.js', (_req, res) => {
  res.sendFile(require.resolve('peerjs/dist/peerjs.min.js'));
});
app.use(express.static(join(dirname(fileURLToPath(import.meta.url)), 'peerjs-page')));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
