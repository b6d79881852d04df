import { networkInterfaces } from 'node:os';
import { checkWebhookTarget } from './webhook-target';

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
