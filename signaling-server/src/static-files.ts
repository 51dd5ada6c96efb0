import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

const NOT_BUILT = `<!doctype html>
<meta charset="utf-8"><title>Meeting: web app not built</title>
<h1>The web app is not built</h1>
<p>The signaling server is running, but there is no built web app to serve.
Run <code>npm run build</code> (or start with <code>npm start</code>), or point STATIC_DIR at the build.</p>
`;

/**
 * Serves the built web app from `root`: files as they are, `index.html` for `/` and for any
 * path without a file extension (so `/?room=x&name=y` and client-side routes work), 404 for a
 * missing file with an extension, and a clear 503 page when the app is not built.
 */
export function createStaticHandler(root: string) {
  const base = normalize(root + sep);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return plain(res, 400, 'bad request');
    }
    if (pathname.includes('\0')) return plain(res, 400, 'bad request');
    const file = normalize(join(base, pathname));
    if (!file.startsWith(base) && file !== root) return plain(res, 403, 'forbidden');

    const isAsset = extname(pathname) !== '';
    if (isAsset && (await isFile(file))) return send(req, res, file, pathname.startsWith('/assets/'));
    if (isAsset) return plain(res, 404, 'not found');

    const index = join(base, 'index.html');
    if (await isFile(index)) return send(req, res, index, false);
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function send(req: IncomingMessage, res: ServerResponse, file: string, immutable: boolean): void {
  res.writeHead(200, {
    'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    // Vite fingerprints everything under /assets/; the rest (index.html) must be revalidated.
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
