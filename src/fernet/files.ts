/**
 * The file operations a Fernet key repository needs (defined by the platform layer, which
 * implements them): re-exported here for the repository logic and its tests.
 *
 * @module
 */

export type { FernetFiles } from "../platform/fernet_files.ts";
