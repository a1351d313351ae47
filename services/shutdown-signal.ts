/**
 * The first SIGINT or SIGTERM as both an `AbortSignal` (to cancel retries and loops in flight)
 * and a promise (to await in an entry point's main). Entry points call it once.
 */
export function onShutdownSignal(): { signal: AbortSignal; stopping: Promise<void> } {
  const controller = new AbortController();
  const stopping = new Promise<void>((resolve) => {
    const stop = () => {
      controller.abort();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return { signal: controller.signal, stopping };
}
