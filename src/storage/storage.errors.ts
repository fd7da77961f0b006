/** The store could not be reached or answered with a server error: worth retrying. */
export class StorageUnavailableError extends Error {
  readonly name = 'StorageUnavailableError';
}

/** The store refused the request for a reason a retry will not change (bad token, policy violation…). */
export class StorageRejectedError extends Error {
  readonly name = 'StorageRejectedError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export class StorageNotFoundError extends Error {
  readonly name = 'StorageNotFoundError';
}
