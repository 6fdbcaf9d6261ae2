/**
 * The client entry's name for `DpopConfigurationError`, the one error of a wrong
 * option throughout the library: the same class (`instanceof` either name), thrown
 * at start-up when a {@link DpopClientModuleOptions} value is wrong, with a message
 * naming the option and what to change.
 * @publicApi
 */
export { DpopConfigurationError as DpopClientConfigurationError } from '../dpop.errors.js';
