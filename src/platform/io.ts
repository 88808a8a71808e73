/**
 * The file access a runtime build needs, passed in so the core never touches `Deno` or `Bun`.
 * Adapters in `src/server/` implement it; tests pass an in-memory one.
 */
export interface RuntimeIo {
  /** Read a UTF-8 file. Throws {@link FileMissingError} when it does not exist. */
  readTextFile(path: string): Promise<string>;
  /**
   * Create a new file readable by its owner only (0600). Throws {@link FileExistsError} when it
   * already exists: a key is never overwritten.
   */
  writePrivateFile(path: string, text: string): Promise<void>;
  /**
   * The permission bits of a file, or undefined when unknown. Optional: without it no
   * permission warning is given for private key files.
   */
  fileMode?(path: string): Promise<number | undefined>;
}

/** Thrown by {@link RuntimeIo.readTextFile} for a file that does not exist. */
export class FileMissingError extends Error {
  constructor(readonly path: string) {
    super(`File "${path}" does not exist`);
    this.name = "FileMissingError";
  }
}

/** Thrown by {@link RuntimeIo.writePrivateFile} when the file already exists. */
export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`File "${path}" already exists`);
    this.name = "FileExistsError";
  }
}

/** A lifecycle note produced while building (e.g. a generated key); logged by the caller. */
export interface BuildNotice {
  readonly level: "info" | "warn";
  readonly event: string;
  readonly fields: Record<string, unknown>;
}
