import { Inject } from '@nestjs/common';
import { DPOP_OPTIONS } from '../dpop.constants.js';

/**
 * The injection token of the resolved module options ({@link ResolvedDpopOptions}),
 * for a provider that needs them: `{ provide: X, inject: [getDpopOptionsToken()] }`.
 * @publicApi
 */
export function getDpopOptionsToken(): symbol {
  return DPOP_OPTIONS;
}

/**
 * Injects the resolved module options: what a subclass of `DpopGuard` or
 * `DpopTokenInterceptor` passes to `super()` when it adds a dependency of its own.
 *
 * ```ts
 * @Injectable()
 * class AuditedDpopGuard extends DpopGuard {
 *   constructor(@InjectDpopOptions() options: ResolvedDpopOptions, reflector: Reflector, private readonly audit: AuditLog) {
 *     super(options, reflector);
 *   }
 * }
 * ```
 * @publicApi
 */
export const InjectDpopOptions = (): ParameterDecorator & PropertyDecorator => Inject(DPOP_OPTIONS);
