/** Which row a ciphertext belongs to. */
export interface RowBinding {
  readonly userId: string;
  readonly applicationId: string;
}
