import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCertificate } from '../support/certificate.ts';
import { startServer, TestClient, type TestServer } from './helpers.ts';

/** Spec §10: given a certificate, the same port serves HTTPS and WSS (browsers want a secure origin). */

const dir = mkdtempSync(join(tmpdir(), 'meeting-tls-'));
const certificate = makeCertificate(dir, 'server');
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('HTTPS and WSS', () => {
  it('serves /healthz over https and socket.io over wss: guest login, then a resume', async () => {
    server = await startServer({ config: { tls: { cert: certificate.cert, key: certificate.key } } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const health = await get(`${server.url}/healthz`, certificate.cert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });

    const first = await server.connect();
    const session = await first.login('Ann');
    const { handle } = await first.join('r1');
    first.disconnect();
    const second = await server.connect();
    const resumed = await second.resume(session.resumeToken);
    expect(resumed.userId).toBe(session.userId);
    expect((await second.confResume(handle, 0)).originalHandle).toBe(handle);
  });

  it('is TLS only: a client that does not trust the certificate, or speaks plain ws, gets nowhere', async () => {
    server = await startServer({ config: { tls: { cert: certificate.cert, key: certificate.key } } });
    await expect(TestClient.connect(server.url)).rejects.toThrow();
    await expect(TestClient.connect(server.url.replace('https:', 'http:'))).rejects.toThrow();
  });
});
