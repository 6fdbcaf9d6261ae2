/**
 * OpenAPI (`@nestjs/swagger`) support without a dependency on it: `@DpopBound()`
 * records its security requirement under the metadata key `@ApiSecurity()` uses,
 * which `SwaggerModule.createDocument` reads; apps without swagger just carry the
 * metadata. `test/openapi/openapi.e2e.spec.ts` checks the generated document, so a
 * change of that key in swagger shows up as a failing test.
 */

/** The name of the DPoP security scheme in the OpenAPI document. @publicApi */
export const DPOP_SECURITY_SCHEME = 'DPoP';
/** The name `DocumentBuilder.addBearerAuth()` gives the Bearer scheme by default. @publicApi */
export const BEARER_SECURITY_SCHEME = 'bearer';

/** `@nestjs/swagger`'s `DECORATORS.API_SECURITY`. */
const API_SECURITY = 'swagger/apiSecurity';

/** What {@link addDpopSecurityScheme} needs of swagger's `DocumentBuilder` (structural, no import). @publicApi */
export interface OpenApiDocumentBuilder<T> {
  addSecurity(name: string, options: { type: 'http'; scheme: string; description?: string }): T;
  addSecurityRequirements(name: string, requirements?: string[]): T;
}

/**
 * Adds the DPoP security scheme (`type: http`, `scheme: DPoP`, RFC 9449 §7.1) to
 * a `DocumentBuilder`: `addDpopSecurityScheme(new DocumentBuilder().setTitle('API')).build()`.
 * With `{ global: true }` every operation requires it (for `protectAllRoutes`).
 * Add `.addBearerAuth()` yourself where routes also take Bearer tokens.
 * @publicApi
 */
export function addDpopSecurityScheme<T extends OpenApiDocumentBuilder<T>>(
  builder: T,
  options: { global?: boolean } = {},
): T {
  const withScheme = builder.addSecurity(DPOP_SECURITY_SCHEME, {
    type: 'http',
    scheme: 'DPoP',
    description:
      'A DPoP-bound access token (`Authorization: DPoP <token>`) and a `DPoP` proof header (RFC 9449) for each request.',
  });
  return options.global ? withScheme.addSecurityRequirements(DPOP_SECURITY_SCHEME) : withScheme;
}

/** Nest's route metadata key (`@Get()` and friends set it on a handler). */
const PATH_METADATA = 'path';

function append(holder: object, requirement: Record<string, string[]>[]): void {
  const existing = (Reflect.getMetadata(API_SECURITY, holder) as unknown[] | undefined) ?? [];
  Reflect.defineMetadata(API_SECURITY, [...existing, ...requirement], holder);
}

/**
 * Records the route's security requirement (DPoP, or DPoP or Bearer, each with the
 * route's scopes: OpenAPI 3.1 lets a non-OAuth scheme list what it requires) the way
 * `@ApiSecurity()` does. On a controller it goes on each route handler rather than
 * on the class, so that a handler's own `@DpopBound()` or `@SkipDpop()` decides its
 * operation exactly as it decides the guard (swagger would add class and handler
 * requirements together).
 * @internal
 */
export function DpopOpenApiSecurity(
  allowBearer: boolean,
  scopes: readonly string[],
  ownDecision: { bound: string; skip: string },
): ClassDecorator & MethodDecorator {
  const requirement: Record<string, string[]>[] = allowBearer
    ? [{ [DPOP_SECURITY_SCHEME]: [...scopes] }, { [BEARER_SECURITY_SCHEME]: [...scopes] }]
    : [{ [DPOP_SECURITY_SCHEME]: [...scopes] }];
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) return append(descriptor.value as object, requirement);
    // Method decorators have all run by now: give each handler without its own decision the controller's.
    for (let proto = (target as { prototype?: object }).prototype; proto && proto !== Object.prototype;) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(ownDecision.bound, handler) !== undefined) continue;
        if (Reflect.getMetadata(ownDecision.skip, handler) === true) continue;
        append(handler, requirement);
      }
      proto = Object.getPrototypeOf(proto) as object | undefined;
    }
  };
}
