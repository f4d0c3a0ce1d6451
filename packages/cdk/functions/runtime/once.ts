/** A value built on first use and kept: how the container builds each client and service only when needed. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
