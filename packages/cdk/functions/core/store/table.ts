/**
 * One DynamoDB table as the stores use it: every call carries an abort signal at the caller's deadline (or the
 * per-call budget, whichever comes first), and SDK errors become {@link StoreError}s.
 */
import type { Deadline } from '../time/deadline';
import { StoreError, toStoreError } from './errors';

/** What the stores need of a DynamoDB document client (`DynamoDBDocumentClient`; the simulation hands in its own). */
export interface DocumentClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

export class Table {
  constructor(
    readonly client: DocumentClient,
    readonly name: string,
    /** Longest one call may take, SDK retries included. */
    private readonly callTimeoutMs: number,
  ) {}

  /** Sends `command` within the deadline; failures are StoreErrors naming `operation`. */
  async send<T>(command: object, deadline: Deadline, operation: string): Promise<T> {
    try {
      return await this.call<T>(command, deadline);
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  /**
   * Sends a conditional write within the deadline: true when it was applied, false when its condition refused it
   * (a `conflict`); other failures are StoreErrors naming `operation`.
   */
  async sendIfAllowed(command: object, deadline: Deadline, operation: string): Promise<boolean> {
    try {
      await this.send(command, deadline, operation);
      return true;
    } catch (error) {
      if (error instanceof StoreError && error.code === 'conflict') return false;
      throw error;
    }
  }

  /** Sends `command` within the deadline; SDK errors as they are (for callers that read cancellation reasons). */
  async call<T>(command: object, deadline: Deadline): Promise<T> {
    return (await this.client.send(command, { abortSignal: deadline.signal(this.callTimeoutMs) })) as T;
  }
}
