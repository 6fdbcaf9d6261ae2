import { afterEach, describe, expect, it } from 'vitest';
import { fetchLimited, LimitedFetchError, readLimited } from '../../lib/internal/limited-fetch.js';
import { httpServer, type TestServer } from '../helpers/servers.js';

/** The one size-limited reader, under fetchLimited (introspection, jku) and the client's token requests. */
describe('limited-fetch', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  /** A server that streams `chunks` KiB without a Content-Length, then stalls if `stall`. */
  async function streaming(chunks: number, stall = false) {
    const server = await httpServer((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < chunks; i++) res.write('x'.repeat(1024));
      if (!stall) res.end();
    });
    servers.push(server);
    return new URL(`${server.url}/`);
  }

  it('fetchLimited: a body within the limit is read whole; one byte more is too_large', async () => {
    const url = await streaming(4);
    expect((await fetchLimited(url, { timeoutMs: 2000, maxBytes: 4096 })).body).toHaveLength(4096);
    await expect(fetchLimited(url, { timeoutMs: 2000, maxBytes: 4095 })).rejects.toMatchObject({ reason: 'too_large' });
  });

  it('fetchLimited: a body that stalls half-way ends with timeout', async () => {
    const url = await streaming(2, true);
    const error = await fetchLimited(url, { timeoutMs: 200, maxBytes: 65_536 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LimitedFetchError);
    expect(error).toMatchObject({ reason: 'timeout' });
  });

  it('readLimited reads a fetch body the same way', async () => {
    const url = await streaming(3);
    expect(await readLimited((await fetch(url)).body!, 3072)).toHaveLength(3072);
    await expect(readLimited((await fetch(url)).body!, 3071)).rejects.toMatchObject({ reason: 'too_large' });
  });
});
