/**
 * Thrown at start-up when a {@link DpopClientModuleOptions} value is wrong;
 * the message names the option and what to change.
 * @publicApi
 */
export class DpopClientConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpopClientConfigurationError';
  }
}
