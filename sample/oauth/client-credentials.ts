import { HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { secretMatches, type SampleClient } from './clients.js';

type TokenRequest = Record<string, string | undefined>;

/** A 401 invalid_client; `basic`: the client tried HTTP Basic, so the answer carries a Basic challenge. */
export class InvalidClientException extends HttpException {
  constructor(
    description: string,
    readonly basic: boolean,
  ) {
    super({ error: 'invalid_client', error_description: description }, 401);
  }
}

/** RFC 6749 §5.2: a 401 after HTTP Basic authentication names the scheme in WWW-Authenticate. */
export function withBasicChallenge<T>(res: Response, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidClientException && error.basic)
      res.setHeader('WWW-Authenticate', 'Basic realm="oauth"');
    throw error;
  }
}

const invalidClient = (description: string, basic: boolean) => new InvalidClientException(description, basic);

/**
 * Authenticates the client: client_secret_basic or client_secret_post for a confidential client, none for a
 * public one (which must not send credentials: an unverifiable secret is refused, RFC 6749 §2.3).
 */
export function authenticateClient(
  clients: Map<string, SampleClient>,
  body: TokenRequest,
  authorization: string | undefined,
): SampleClient {
  let id = body.client_id;
  let secret = body.client_secret;
  const basic = /^basic /i.test(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(authorization!.slice(6).trim(), 'base64').toString();
    const colon = decoded.indexOf(':');
    try {
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    } catch {
      throw invalidClient('Malformed client credentials', true);
    }
  }
  const client = clients.get(id ?? '');
  if (!client) throw invalidClient('Unknown client', basic);
  // private_key_jwt clients authenticate with a signed assertion only (ClientAuthService).
  if (client.assertionKey !== undefined) throw invalidClient('This client must use private_key_jwt', basic);
  if (client.secret === undefined) {
    if (secret !== undefined || basic || body.client_assertion !== undefined) {
      throw invalidClient('This client does not authenticate', basic);
    }
  } else if (!secretMatches(client, secret ?? '')) {
    throw invalidClient('Client authentication failed', basic);
  }
  return client;
}
