import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, runCheck } from './run-check.js';

describe('nestjs-dpop check: usage and setup errors exit 2 with what to fix', () => {
  it('the bin of package.json is the built ESM file, run by plain node', () => {
    expect(BIN).toMatch(/dist\/esm\/check\/cli\.js$/);
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runCheck(['check', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: nestjs-dpop check <resource-url>');
    expect(run.stdout).toContain('at most 120 requests');
  });

  it.each([
    [[], 'Usage:'],
    [['verify', 'https://api.example.com/me'], 'Unknown command'],
    [['check'], 'exactly one <resource-url>'],
    [['check', 'https://api.example.com/me'], 'Give a token source'],
    [['check', 'https://api.example.com/me', '--token', 'abc'], '--token needs --key'],
    [['check', 'http://api.example.com/me', '--token', 'abc', '--key', 'k.json'], '--allow-http'],
    [['check', 'https://api.example.com/me', '--issuer', 'https://as.example.com'], '--client-id'],
    [['check', 'https://api.example.com/me', '--token', 'abc', '--key', '/nonexistent/key.json'], 'cannot read'],
    [['check', 'https://api.example.com/me', '--bogus'], "Unknown option '--bogus'"],
    [['check', 'https://api.example.com/me', '--token', 'a', '--key', 'k', '--header', 'DPoP: x'], 'leave it out'],
    [['check', 'https://api.example.com/me', '--token', 'a', '--key', 'k', '--timeout', '0'], '--timeout'],
  ])('%j', async (args, message) => {
    const run = await runCheck(args);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain(message);
  });

  it('an issuer that does not answer is a setup error', async () => {
    const run = await runCheck([
      'check',
      'http://127.0.0.1:9/api/me',
      ...['--issuer', 'http://127.0.0.1:9', '--client-id', 'a', '--client-secret', 'b', '--timeout', '2'],
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the metadata request failed');
    expect(run.stderr).not.toContain('Error: b');
  });
});
