/** The upload can never become an avatar (wrong format, corrupt, too large): retrying will not help. The message is shown to the user. */
export class ImageRejectedError extends Error {
  readonly name = 'ImageRejectedError';
}
