import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { checkWebhookTarget, pinnedLookup, postToWebhook } from './webhook-target';

describe('checkWebhookTarget', () => {
  // Every spelling of this machine, including IPv4-mapped IPv6, which URL parsing rewrites to hex.
  const local = [
    'http://127.0.0.1:9/hook',
    'http://127.1/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0.0.0.0/',
    'http://localhost/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]:3111/',
    'http://[::ffff:7f00:1]/',
    'http://[::127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:169.254.169.254]/latest/meta-data',
    'http://[fe80::1]/',
  ];

  it.each(local)('refuses %s unless targets on this machine are allowed', async (url) => {
    expect(await checkWebhookTarget(url, false)).toMatch(/^url points at this machine/);
    expect(await checkWebhookTarget(url, true)).toBeUndefined();
  });

  it("refuses this machine's own interface addresses, in either spelling", async () => {
    const own = Object.values(networkInterfaces()).flat().find((i) => i?.family === 'IPv4' && !i.internal);
    if (!own) return; // a machine with loopback only: covered above
    expect(await checkWebhookTarget(`http://${own.address}/`, false)).toMatch(/^url points at this machine/);
    expect(await checkWebhookTarget(`http://[::ffff:${own.address}]/`, false)).toMatch(/^url points at this machine/);
  });

  it('lets addresses elsewhere through, and refuses what is not a plain http(s) URL', async () => {
    expect(await checkWebhookTarget('https://93.184.215.14/hook', false)).toBeUndefined();
    expect(await checkWebhookTarget('https://[::ffff:93.184.215.14]/hook', false)).toBeUndefined();
    expect(await checkWebhookTarget('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook', false)).toBeUndefined();
    expect(await checkWebhookTarget('ftp://example.org/x', false)).toBe('url must use http or https');
    expect(await checkWebhookTarget('https://user:pw@example.org/x', false)).toBe('url must not carry credentials');
  });
});

describe('postToWebhook', () => {
  let server: Server;
  let port: number;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let answer = 204;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        if (answer === 0) return; // never answers
        res.writeHead(answer, answer === 302 ? { location: `http://127.0.0.1:${port}/elsewhere` } : {}).end('ignored');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const post = (allowLocal: boolean, timeoutMs = 2000) =>
    postToWebhook(`http://127.0.0.1:${port}/hook`, { headers: { 'content-type': 'application/json', 'webhook-id': 'w1' }, body: '{"a":1}', timeoutMs, allowLocal });

  it('posts the body with its headers and answers the status, without following a redirect', async () => {
    answer = 204;
    expect(await post(true)).toBe(204);
    expect(received.at(-1)).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json', 'webhook-id': 'w1', 'content-length': '7' } });
    answer = 302;
    const before = received.length;
    expect(await post(true)).toBe(302);
    expect(received).toHaveLength(before + 1);
  });

  it('refuses this machine before connecting unless allowed, and names a timeout', async () => {
    const before = received.length;
    await expect(post(false)).rejects.toThrow(/^url points at this machine/);
    expect(received).toHaveLength(before);
    answer = 0;
    await expect(post(true, 200)).rejects.toThrow('timed out after 200 ms');
  });

  it('connects to the pinned addresses, not to a fresh lookup of the name', async () => {
    answer = 204;
    // `.invalid` never resolves: the request can only reach the server through the pinned address.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`http://rebinding.invalid:${port}/`, { method: 'POST', lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]) }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(204);
  });
});
