import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DpopModuleOptions } from './options/dpop-module-options.interface.js';

/** @internal */
export const {
  ConfigurableModuleClass: DpopConfigurableModule,
  MODULE_OPTIONS_TOKEN: DPOP_MODULE_OPTIONS,
  OPTIONS_TYPE: DPOP_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DPOP_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DpopModuleOptions>({ moduleName: 'Dpop' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDpopOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
