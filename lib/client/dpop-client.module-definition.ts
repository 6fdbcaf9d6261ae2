import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DpopClientModuleOptions } from './dpop-client.options.js';

/** @internal */
export const {
  ConfigurableModuleClass: DpopClientConfigurableModule,
  MODULE_OPTIONS_TOKEN: DPOP_CLIENT_MODULE_OPTIONS,
  OPTIONS_TYPE: DPOP_CLIENT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DPOP_CLIENT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DpopClientModuleOptions>({ moduleName: 'DpopClient' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDpopClientOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
