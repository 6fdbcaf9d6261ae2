import type { CryptoKey } from 'jose';
import type { TokenSource } from './args.js';
import { SetupError } from './errors.js';
import { loadPrivateKey } from './keys.js';

type Oauth = typeof import('oauth4webapi');
type IssuerSource = Extract<TokenSource, { kind: 'issuer' }>;

/** oauth4webapi, an optional peer dependency: only `--issuer` needs it. */
async function oauth4webapi(): Promise<Oauth> {
  try {
    return await import('oauth4webapi');
  } catch {
    throw new SetupError('--issuer needs the oauth4webapi package: npm install oauth4webapi (or use --token/--key).');
  }
}

const reason = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return (typeof cause === 'string' ? `${text} (${cause})` : text).slice(0, 200);
};

async function discover(oauth: Oauth, source: IssuerSource, http: object) {
  for (const algorithm of ['oauth2', 'oidc'] as const) {
    let response: Response;
    try {
      response = await oauth.discoveryRequest(source.issuer, { algorithm, ...http });
    } catch (error) {
      throw new SetupError(`--issuer ${source.issuer.href}: the metadata request failed: ${reason(error)}.`);
    }
    if (response.status === 404 && algorithm === 'oauth2') continue;
    try {
      const as = await oauth.processDiscoveryResponse(source.issuer, response);
      if (typeof as.token_endpoint !== 'string') throw new Error('no token_endpoint in the metadata');
      return as;
    } catch (error) {
      throw new SetupError(
        `--issuer ${source.issuer.href}: unusable metadata (HTTP ${response.status}): ${reason(error)}.`,
      );
    }
  }
  /* c8 ignore next */
  throw new SetupError(`--issuer ${source.issuer.href}: no metadata found.`);
}

/**
 * A DPoP-bound access token by the client-credentials grant (oauth4webapi, with discovery), bound to `keyPair`;
 * the authorization server's `use_dpop_nonce` is retried once. Any failure is a {@link SetupError}.
 */
export async function obtainToken(
  source: IssuerSource,
  keyPair: { privateKey: CryptoKey; publicKey: CryptoKey },
  options: { allowHttp: boolean; timeoutMs: number },
): Promise<string> {
  const oauth = await oauth4webapi();
  const insecure = options.allowHttp || source.issuer.protocol === 'http:';
  const http = { [oauth.allowInsecureRequests]: insecure, signal: () => AbortSignal.timeout(options.timeoutMs) };
  const as = await discover(oauth, source, http);
  const client = { client_id: source.clientId };
  let clientAuth: ReturnType<Oauth['ClientSecretBasic']>;
  if (source.clientSecret !== undefined) clientAuth = oauth.ClientSecretBasic(source.clientSecret);
  else clientAuth = oauth.PrivateKeyJwt((await loadPrivateKey(source.privateKeyFile!, '--private-key')).key as never);
  const dpop = oauth.DPoP({}, keyPair as never);
  const parameters: string[][] = [];
  if (source.scope !== undefined) parameters.push(['scope', source.scope]);
  for (const resource of source.resource) parameters.push(['resource', resource]);
  const endpoint = as.token_endpoint!;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, {
        ...http,
        DPoP: dpop,
      });
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      if (result.token_type.toLowerCase() !== 'dpop') {
        throw new SetupError(
          `The token endpoint ${endpoint} issued a ${result.token_type.slice(0, 20)} token, not a DPoP-bound one: ` +
            'enable DPoP for this client at the authorization server.',
        );
      }
      return result.access_token;
    } catch (error) {
      if (error instanceof SetupError) throw error;
      if (oauth.isDPoPNonceError(error) && attempt === 1) continue;
      const oauthError = (error as { error?: unknown }).error;
      const code = typeof oauthError === 'string' ? ` ${oauthError.slice(0, 60)}` : '';
      throw new SetupError(
        `The token endpoint ${endpoint} refused the client-credentials request${code}: ${reason(error)}. ` +
          'Check --client-id, the client secret or key, --scope and --resource.',
      );
    }
  }
}
