/** Answer shapes of the Invoke API functions (docs/contract.md): the caller library's, so the two cannot drift. */
export type {
  Answer,
  ConnectAnswer,
  ConnectionStatus,
  StatusAnswer,
  ImportAnswer,
  ErrorAnswer,
  ErrorBody,
  RevokeAnswer,
  SweepAnswer,
  TokenAnswer,
} from '@token-vault/client/contract';
