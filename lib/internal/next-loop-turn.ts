/**
 * Resolves with `value` on the event loop's next check phase (`setImmediate`): what the
 * module option `yieldToEventLoop` waits for after a check that waited for nothing.
 * @internal
 */
export function nextLoopTurn<T>(value: T): Promise<T> {
  return new Promise((resolve) => setImmediate(resolve, value));
}
