import { describe, expect, it } from 'vitest';
import { DpopNonceService, type DpopNonceOptions } from '../../lib/index.js';
import { resolveDpopOptions } from '../../lib/options/resolve-dpop-options.js';

const SECRET = 'a shared secret of at least thirty-two bytes';

function service(nonce: DpopNonceOptions, clock: { ms: number }) {
  return new DpopNonceService(resolveDpopOptions({ nonce, now: () => clock.ms }));
}

describe('DpopNonceService', () => {
  it('issues one NQCHAR nonce per step and accepts it for acceptedSteps steps', () => {
    const clock = { ms: 1_800_000_000_000 };
    const nonces = service({ secret: SECRET, stepSeconds: 60, acceptedSteps: 3 }, clock);
    const first = nonces.issue();
    expect(first).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(nonces.issue()).toBe(first);
    clock.ms += 60_000;
    const second = nonces.issue();
    expect(second).not.toBe(first);
    expect(nonces.check(first)).toBe(true);
    clock.ms += 60_000;
    expect(nonces.check(first)).toBe(true);
    clock.ms += 60_000;
    expect(nonces.check(first)).toBe(false); // issued three steps ago
    expect(nonces.check(second)).toBe(true);
  });

  it('instances sharing a secret accept each other’s nonces; other secrets do not', () => {
    const clock = { ms: 1_800_000_000_000 };
    const a = service({ secret: SECRET }, clock);
    const b = service({ secret: new TextEncoder().encode(SECRET) }, clock);
    const c = service({ secret: `${SECRET}!` }, clock);
    const random = service({}, clock);
    expect(b.check(a.issue())).toBe(true);
    expect(c.check(a.issue())).toBe(false);
    expect(random.check(a.issue())).toBe(false);
    expect(a.check(random.issue())).toBe(false);
  });

  it('refuses nonces from the future, non-canonical steps, tampered MACs and junk', () => {
    const clock = { ms: 1_800_000_000_000 };
    const nonces = service({ secret: SECRET }, clock);
    const now = nonces.issue();
    clock.ms += 60_000;
    const next = nonces.issue();
    clock.ms -= 60_000;
    expect(nonces.check(next)).toBe(false);
    const [step, mac] = now.split('.') as [string, string];
    expect(nonces.check(`0${step}.${mac}`)).toBe(false);
    expect(nonces.check(`${step}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(nonces.check(`${step}.${mac}x`)).toBe(false);
    // characters that alias the MAC's bytes when read as latin1
    expect(nonces.check(`${step}.${[...mac].map((c) => String.fromCharCode(c.charCodeAt(0) + 256)).join('')}`)).toBe(
      false,
    );
    for (const junk of ['', '.', 'abc', `${step}.`, '.abc', 'x'.repeat(1000), `${step}.${mac}.${mac}`]) {
      expect(nonces.check(junk)).toBe(false);
    }
    expect(nonces.check(42 as unknown as string)).toBe(false);
    expect(nonces.check(now)).toBe(true);
  });
});
