/** A usage or setup problem (bad flags, unreadable key, no token): exit code 2 with a message saying what to fix. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}
