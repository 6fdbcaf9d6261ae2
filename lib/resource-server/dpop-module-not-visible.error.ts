import type { ModulesContainer } from '@nestjs/core';
import { DPOP_OPTIONS } from '../dpop.constants.js';
import { DpopConfigurationError } from '../dpop.errors.js';

/**
 * The start-up error of a `DpopGuard` whose module cannot see `DpopModule` (neither imported there nor
 * registered with `isGlobal: true`): it names the guard's module and says how to fix it, where Nest alone would
 * say that `Symbol(DPOP_OPTIONS)` cannot be resolved. The module is found by the guard instance among the
 * app's modules (`ModulesContainer`, which Nest provides everywhere).
 * @internal
 */
export function dpopModuleNotVisibleError(
  guard: object,
  modules: ModulesContainer | undefined,
): DpopConfigurationError {
  const guardName = guard.constructor.name;
  const uses: string[] = [];
  let registered = false;
  for (const module of modules?.values() ?? []) {
    if (module.providers.has(DPOP_OPTIONS)) registered = true;
    const name = module.metatype?.name ?? 'a module';
    for (const wrapper of module.injectables.values()) {
      if (wrapper.instance === guard) uses.push(`used by @DpopBound() in ${name}`);
    }
    for (const wrapper of module.providers.values()) {
      if (wrapper.instance === guard) uses.push(`registered in ${name}`);
    }
  }
  const where = uses.length > 0 ? ` (${uses.join(', ')})` : '';
  const elsewhere = registered ? ' DpopModule is registered in another module, but not with isGlobal: true.' : '';
  return new DpopConfigurationError(
    `${guardName}${where} cannot see DpopModule: import DpopModule.forRoot(...) in that module or register it ` +
      `with isGlobal: true.${elsewhere}`,
  );
}
