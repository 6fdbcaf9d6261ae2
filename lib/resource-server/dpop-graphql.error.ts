import { IntrinsicException, type HttpException } from '@nestjs/common';

/** `extensions.code` for each status a refusal can have (the codes Apollo Server and Mercurius users expect). */
const GRAPHQL_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  503: 'SERVICE_UNAVAILABLE',
};

/** What a refused GraphQL field carries in `extensions`. @publicApi */
export interface DpopGraphqlErrorExtensions {
  /**
   * `UNAUTHENTICATED` (401), `FORBIDDEN` (403, `insufficient_scope`), `BAD_REQUEST` (400, `invalid_request`)
   * or `SERVICE_UNAVAILABLE` (503).
   */
  readonly code: string;
  /** The OAuth error code, as in the REST body: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, … */
  readonly error: string;
  /** Its constant description (the same as in the `WWW-Authenticate` challenge). */
  readonly error_description: string;
  /**
   * Apollo Server's per-error HTTP head: Apollo uses the status and strips this member
   * from the response. Only set for Apollo contexts.
   */
  readonly http?: { readonly status: number };
}

/**
 * A refusal of `DpopGuard` on a GraphQL resolver. Not a `GraphQLError` (the library
 * never imports `graphql`): graphql-js wraps it and takes its `extensions`, so the
 * body carries `{ message, path, extensions: { code, error, error_description } }`.
 * `statusCode` is the HTTP status Mercurius answers with when this is the only
 * error and there is no data; Apollo reads `extensions.http.status`. Only constant
 * text: nothing from the request. An `IntrinsicException`, so Nest does not log each
 * refusal as an error (the guard logs it at debug level, with the reason).
 * @publicApi
 */
export class DpopGraphqlError extends IntrinsicException {
  readonly extensions: DpopGraphqlErrorExtensions;
  /** The HTTP status of the same refusal on a REST route (401, 403, 400, 503). */
  readonly statusCode: number;

  constructor(error: string, description: string, status: number, apollo: boolean) {
    super(description);
    this.name = 'DpopGraphqlError';
    this.statusCode = status;
    const code = GRAPHQL_CODES[status] ?? 'UNAUTHENTICATED';
    this.extensions = apollo
      ? { code, error, error_description: description, http: { status } }
      : { code, error, error_description: description };
  }

  /** The GraphQL form of the HTTP refusal `challengeException` made (status and constant body). @internal */
  static fromHttpException(exception: HttpException, apollo: boolean): DpopGraphqlError {
    const body = exception.getResponse() as { error?: unknown; error_description?: unknown };
    const error = typeof body.error === 'string' ? body.error : 'invalid_request';
    const description = typeof body.error_description === 'string' ? body.error_description : 'Request refused';
    return new DpopGraphqlError(error, description, exception.getStatus(), apollo);
  }
}
