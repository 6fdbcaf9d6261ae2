import {
  applyDecorators,
  BadRequestException,
  Catch,
  Injectable,
  UseFilters,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import {
  AuthorizationRequestError,
  renderAuthorizationResponse,
  type AuthorizationResponse,
  type RenderedAuthorizationResponse,
} from './authorization-response.js';

/** Carries a rendered response from the interceptor to the filter, which owns the reply. @internal */
class AuthorizationResponseReady {
  constructor(readonly rendered: RenderedAuthorizationResponse) {}
}

/** Turns the handler's {@link AuthorizationResponse} into the rendered response. @internal */
@Injectable()
export class AuthorizationResponseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<never> {
    return next.handle().pipe(
      map((result: AuthorizationResponse) => {
        let rendered: RenderedAuthorizationResponse;
        try {
          rendered = renderAuthorizationResponse(result);
        } catch (error) {
          if (!(error instanceof AuthorizationRequestError)) throw error;
          // Nothing can go back to a redirect URI that cannot receive it: a plain 400.
          throw new BadRequestException({ error: error.error, error_description: error.message });
        }
        throw new AuthorizationResponseReady(rendered);
      }),
    );
  }
}

/** Writes a rendered authorization response with the HTTP adapter (Express or Fastify). @internal */
@Catch(AuthorizationResponseReady)
export class AuthorizationResponseFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(ready: AuthorizationResponseReady, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse<unknown>();
    for (const [name, value] of Object.entries(ready.rendered.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, ready.rendered.body, ready.rendered.status);
  }
}

/**
 * For an authorization endpoint handler that returns an
 * {@link AuthorizationResponse} (`{ redirectUri, responseMode, params }`):
 * sends it as a query or fragment redirect, or as the self-submitting
 * `form_post` page. Throw `HttpException`s as usual for errors that cannot
 * go back to the client (unknown client, bad redirect URI).
 * @publicApi
 */
export function AuthorizationResponseEndpoint(): MethodDecorator & ClassDecorator {
  return applyDecorators(UseInterceptors(AuthorizationResponseInterceptor), UseFilters(AuthorizationResponseFilter));
}
