import type { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleApp } from '../../sample/sample-app.js';
import { freePort } from '../helpers/sample-app.js';

// The sample's browser client (GET /client) in a real Chromium: WebCrypto key,
// authorization code + PKCE by form_post, DPoP token request, GET /api/me, then POST /graphql { me }.
// No Chromium is a failure, not a skip: CI installs it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'dpop-browser-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: the browser test needs one (apt-get install chromium, or set CHROMIUM_PATH).`,
    );
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.each([
  { nonce: false, screenshot: 'client.png' },
  { nonce: true, screenshot: 'client-nonce.png' },
])('the browser client, DPOP_NONCE $nonce', ({ nonce, screenshot }) => {
  let app: INestApplication;
  let issuer: string;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    app = await createSampleApp({
      port,
      host: '127.0.0.1',
      issuer,
      nonce,
      databaseUrl: undefined,
      sqliteFile: join(dataDir, `sample-${nonce ? 'nonce' : 'plain'}.sqlite`),
    });
  }, 30_000);
  afterAll(() => app?.close());

  it(
    'gets a DPoP-bound token for alice and calls /api/me and the GraphQL `me` query with it',
    { timeout: 60_000 },
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      try {
        await page.goto(`${issuer}/client`);
        await page.waitForSelector('body[data-status]', { timeout: 30_000 }).catch(async (error: Error) => {
          const body = await page
            .locator('body')
            .innerText()
            .catch(() => '');
          throw new Error(`${error.message}\nstuck at ${page.url()}:\n${body}\n${problems.join('\n')}`);
        });
        await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });

        const steps = await page.locator('#steps li').allTextContents();
        expect(await page.getAttribute('body', 'data-status'), [...steps, ...problems].join('\n')).toBe('done');
        expect(steps[0]).toContain('private key extractable: false');
        if (nonce) expect(steps.some((step) => step.includes('asks for a DPoP nonce'))).toBe(true);

        const jkt = await page.textContent('#jkt');
        expect(jkt).toMatch(/^[\w-]{43}$/);
        const result = JSON.parse((await page.textContent('#result')) ?? '') as Record<string, unknown>;
        expect(result).toMatchObject({ sub: 'alice', client_id: 'demo-spa', jkt });
        // After the REST call, the same token with a new proof for POST /graphql.
        const graphql = JSON.parse((await page.textContent('#graphql')) ?? '') as Record<string, unknown>;
        expect(graphql).toEqual({ sub: 'alice', client_id: 'demo-spa', scope: expect.any(String), jkt });
        const rest = steps.findIndex((step) => step.startsWith('GET /api/me'));
        const gql = steps.findIndex((step) => step.startsWith('POST /graphql { me }'));
        expect(rest).toBeGreaterThan(-1);
        expect(gql).toBeGreaterThan(rest);
      } finally {
        await context.close();
      }
    },
  );

  // The PAR + DPoP toggle (/client?par=on): the request is pushed with a proof, the code bound to the key.
  it(
    'PAR + DPoP: pushes the request with a proof, then the same flow ends at /api/me',
    { timeout: 60_000 },
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const pushes: number[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname === '/par') pushes.push(response.status());
      });
      try {
        await page.goto(`${issuer}/client?par=on`);
        await page.waitForSelector('body[data-status]', { timeout: 30_000 });
        await page.screenshot({ path: join(ARTIFACTS, `par-${screenshot}`), fullPage: true });
        const steps = await page.locator('#steps li').allTextContents();
        expect(await page.getAttribute('body', 'data-status'), steps.join('\n')).toBe('done');
        expect(steps.some((step) => step.startsWith('Pushed the authorization request (PAR) with a DPoP proof'))).toBe(
          true,
        );
        // with nonces on, the first PAR proof has none: 400 use_dpop_nonce, then the retry with it
        expect(pushes).toEqual(nonce ? [400, 201] : [201]);
        const jkt = await page.textContent('#jkt');
        const result = JSON.parse((await page.textContent('#result')) ?? '') as Record<string, unknown>;
        expect(result).toMatchObject({ sub: 'alice', client_id: 'demo-spa', jkt });
      } finally {
        await context.close();
      }
    },
  );
});
