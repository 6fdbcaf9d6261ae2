import { parseArgs } from 'node:util';
import { TOKEN68 } from '../internal/patterns.js';
import { SetupError } from './errors.js';

/** Where the access token comes from. */
export type TokenSource =
  | {
      kind: 'issuer';
      issuer: URL;
      clientId: string;
      clientSecret?: string;
      privateKeyFile?: string;
      scope?: string;
      resource: string[];
    }
  | { kind: 'token'; token: string; keyFile: string };

/** The command line of `nestjs-dpop check`, checked. */
export interface CheckArgs {
  target: URL;
  method: string;
  /** Extra request headers, in order (never Authorization or DPoP). */
  headers: [string, string][];
  json: boolean;
  allowHttp: boolean;
  timeoutMs: number;
  source: TokenSource;
}

export const USAGE = `Usage: nestjs-dpop check <resource-url> [options]

Tests a DPoP-protected API (RFC 9449) from the outside: a valid request, then every proof check
broken one at a time, the variants that must pass, replay, Bearer downgrade and nonces.

Token (one of):
  --issuer <url> --client-id <id> (--client-secret <s> | --private-key <pem-or-jwk-file>)
        [--scope <s>] [--resource <url>]...   client credentials grant, DPoP-bound to a fresh ES256 key
  --token <access-token> --key <private-jwk-file>   a DPoP-bound token and the key it is bound to

Request:
  --method <M>            HTTP method of the protected request (default GET)
  --header "Name: value"  extra request header (repeatable)
  --timeout <seconds>     per request (default 10)
  --allow-http            allow http: URLs other than localhost/127.0.0.1
  --json                  print one JSON document instead of the table

Only the resource's origin and the issuer (metadata, token endpoint) are contacted, one request at a
time, at most 120 requests to the resource. The token, the keys and the proofs are never printed.
Exit code: 0 every required case holds, 1 one does not, 2 usage or setup error.`;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function url(value: string, flag: string, allowHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SetupError(`${flag}: "${value}" is not an absolute URL (e.g. https://api.example.com/me).`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SetupError(`${flag}: only http and https URLs can be checked.`);
  }
  if (parsed.username || parsed.password) throw new SetupError(`${flag}: the URL must not carry credentials.`);
  if (parsed.protocol === 'http:' && !allowHttp && !LOOPBACK.has(parsed.hostname)) {
    throw new SetupError(
      `${flag}: ${parsed.origin} is plain http: tokens and proofs would cross the network unencrypted. ` +
        'Use https, or pass --allow-http if you mean it.',
    );
  }
  return parsed;
}

function header(value: string): [string, string] {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (!HEADER_NAME.test(name)) throw new SetupError(`--header "${value}": write it as "Name: value".`);
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'dpop' || lower === 'host') {
    throw new SetupError(`--header ${name}: set by the check itself; leave it out.`);
  }
  return [name, value.slice(colon + 1).trim()];
}

/** Parses `argv` (after `check`); a usage error is a {@link SetupError}. */
export function parseCheckArgs(argv: string[]): CheckArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new SetupError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new SetupError('Give exactly one <resource-url>.');
  const allowHttp = values['allow-http'] === true;
  const target = url(positionals[0]!, '<resource-url>', allowHttp);
  const method = values.method ?? 'GET';
  if (!METHOD.test(method)) throw new SetupError(`--method ${method}: not an HTTP method.`);
  const timeout = Number(values.timeout ?? '10');
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 300) {
    throw new SetupError('--timeout: a number of seconds between 0 and 300.');
  }
  return {
    target,
    method,
    headers: (values.header ?? []).map(header),
    json: values.json === true,
    allowHttp,
    timeoutMs: Math.round(timeout * 1000),
    source: tokenSource(values, allowHttp),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'private-key': { type: 'string' },
      scope: { type: 'string' },
      resource: { type: 'string', multiple: true },
      token: { type: 'string' },
      key: { type: 'string' },
      method: { type: 'string' },
      header: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'allow-http': { type: 'boolean' },
      timeout: { type: 'string' },
    },
  });
}

function tokenSource(values: ReturnType<typeof parse>['values'], allowHttp: boolean): TokenSource {
  const { issuer, token, key } = values;
  if (issuer !== undefined && token !== undefined) throw new SetupError('Give either --issuer or --token, not both.');
  if (token !== undefined) {
    if (key === undefined) throw new SetupError('--token needs --key <file>: the private JWK the token is bound to.');
    if (!TOKEN68.test(token)) throw new SetupError('--token: not an RFC 6750 token68 value.');
    return { kind: 'token', token, keyFile: key };
  }
  if (issuer === undefined) {
    throw new SetupError('Give a token source: --issuer <url> --client-id <id> ..., or --token <t> --key <file>.');
  }
  const clientId = values['client-id'];
  if (clientId === undefined) throw new SetupError('--issuer needs --client-id <id>.');
  const clientSecret = values['client-secret'];
  const privateKeyFile = values['private-key'];
  if ((clientSecret === undefined) === (privateKeyFile === undefined)) {
    throw new SetupError('--issuer needs one of --client-secret <s> (client_secret_basic) or --private-key <file>.');
  }
  return {
    kind: 'issuer',
    issuer: url(issuer, '--issuer', allowHttp),
    clientId,
    clientSecret,
    privateKeyFile,
    scope: values.scope,
    resource: values.resource ?? [],
  };
}
