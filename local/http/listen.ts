/** Opening and closing the local stack's HTTP server. */
import type { Server } from 'node:http';
import { LocalConfigError } from '../config';
import { HOST } from './router';

/** Listens on {@link HOST}; resolves the port (0 picks a free one). A port in use is a {@link LocalConfigError}. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LocalConfigError(
              `port ${port} on ${HOST} is already in use: stop what runs there or set PORT to another port`,
            )
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.removeListener('error', onError);
      const address = server.address();
      if (typeof address === 'object' && address) resolvePort(address.port);
      else reject(new Error('could not determine the server port'));
    });
  });
}

/** Closes the server; requests in flight get a moment to finish. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolveClose) => {
    // Idle keep-alive sockets go at once; requests in flight get a moment to finish.
    const force = setTimeout(() => server.closeAllConnections(), 2_000);
    server.close(() => {
      clearTimeout(force);
      resolveClose();
    });
    server.closeIdleConnections();
  });
}
