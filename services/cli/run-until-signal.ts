/** Keeps a started service running until SIGTERM/SIGINT, then closes it; resolves with the exit code. */
export function runUntilSignal(service: { close(): Promise<void> }): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      service.close().then(() => resolve(0), (error: unknown) => {
        process.stderr.write(`meshray: shutdown failed: ${String(error)}\n`);
        resolve(1);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
