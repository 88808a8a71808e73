/**
 * The file operations a spiffile root needs (defined by the platform layer, which implements
 * them): re-exported here for the SPIFFE modules and the services' TypeScript module.
 *
 * @module
 */

export type { FileStat, SpiffeFiles } from "../platform/files.ts";
