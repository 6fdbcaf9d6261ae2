import { HttpException } from '@nestjs/common';

/** An RFC 6749 §5.2 error response. */
export function oauthError(error: string, description: string, status = 400): HttpException {
  return new HttpException({ error, error_description: description }, status);
}
