import { importJWK, importPKCS8, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type { webcrypto } from 'node:crypto';
import { optionError } from '../internal/assert-options.js';
import type { DpopClientAuthentication } from './dpop-client.options.js';

const isCryptoKey = (value: unknown): value is webcrypto.CryptoKey =>
  typeof value === 'object' && value !== null && 'algorithm' in value && 'usages' in value && 'type' in value;

/**
 * oauth4webapi's client authentication for the `clientAuthentication`
 * option; a `private_key_jwt` key is imported once, here, at start-up.
 * @internal
 */
export async function createClientAuthentication(auth: DpopClientAuthentication): Promise<oauth.ClientAuth> {
  switch (auth.method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(auth.clientSecret);
    case 'client_secret_post':
      return oauth.ClientSecretPost(auth.clientSecret);
    case 'private_key_jwt': {
      let key: webcrypto.CryptoKey;
      try {
        if (isCryptoKey(auth.privateKey)) key = auth.privateKey;
        else if (typeof auth.privateKey === 'string') key = (await importPKCS8(auth.privateKey, auth.alg!)) as never;
        else key = (await importJWK(auth.privateKey as JWK, auth.alg ?? (auth.privateKey.alg as string))) as never;
      } catch {
        // The cause is not attached: it could quote key material.
        throw optionError(
          'DpopClientModule',
          'clientAuthentication.privateKey',
          'could not be imported: give a private CryptoKey, or a private JWK or PKCS#8 PEM with ' +
            '"clientAuthentication.alg" (e.g. "ES256")',
        );
      }
      if (key.type !== 'private') {
        throw optionError('DpopClientModule', 'clientAuthentication.privateKey', 'must be a private key');
      }
      return oauth.PrivateKeyJwt(auth.kid === undefined ? key : { key, kid: auth.kid });
    }
  }
}
