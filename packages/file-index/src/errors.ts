/** A file-index API was used wrongly: a bad file id, an option out of range, a file too large. */
export class FileIndexError extends Error {
  override readonly name: string = 'FileIndexError'
}

/** Bytes from the network or the store that are not a valid manifest for the file id. */
export class InvalidManifestError extends FileIndexError {
  override readonly name = 'InvalidManifestError'
}

/** No peer could provide the file (or its manifest) in time. */
export class NotFoundError extends FileIndexError {
  override readonly name = 'NotFoundError'
}
