#!/usr/bin/env node
// `nestjs-dpop check <resource-url>`: tests a DPoP-protected API from the outside (see USAGE in args.ts).
// A bin, not part of the library's API: nothing in lib/index.ts imports it.
import { parseCheckArgs, USAGE, type CheckArgs } from './args.js';
import { CheckContext } from './context.js';
import { SetupError } from './errors.js';
import { freshProofKey, loadProofKey } from './keys.js';
import type { ProofKey } from './proofs.js';
import { progressLine, renderTable } from './report.js';
import { runChecks } from './runner.js';
import { obtainToken } from './token.js';
import { Transport } from './transport.js';

/** The token to test with and the key it is bound to: given, or obtained by the client-credentials grant. */
async function credentials(args: CheckArgs): Promise<{ token: string; key: ProofKey }> {
  if (args.source.kind === 'token') return { token: args.source.token, key: await loadProofKey(args.source.keyFile) };
  const key = await freshProofKey();
  const token = await obtainToken(args.source, key, { allowHttp: args.allowHttp, timeoutMs: args.timeoutMs });
  return { token, key };
}

/** The access token once known: never printed (any output naming it says `[token]`). */
let secret: string | undefined;
const redact = (text: string) => (secret ? text.replaceAll(secret, '[token]') : text);

/** Runs the command; returns the exit code (0 every required case holds, 1 one does not, 2 usage or setup error). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command !== 'check') throw new SetupError(`Unknown command "${command}": the command is "check".`);
    const args = parseCheckArgs(rest);
    const { token, key } = await credentials(args);
    secret = token;
    const transport = new Transport(new URL(args.target.origin), args.headers, args.timeoutMs);
    const context = new CheckContext(args.target, args.method, token, key, await freshProofKey(), transport);
    const report = await runChecks(context, transport, (item, index, total) =>
      process.stderr.write(`${redact(progressLine(item, index, total))}\n`),
    );
    process.stdout.write(redact(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report)));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    process.stderr.write(
      `nestjs-dpop ${command}: ${redact(error.message)}\nRun "nestjs-dpop check --help" for usage.\n`,
    );
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(redact(`nestjs-dpop: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`));
    process.exitCode = 2;
  },
);
