/**
 * The file access a runtime build needs. The interface lives with the platform
 * (`src/platform/io.ts`), below the runtime, so the platform does not import runtime state.
 */
export { FileExistsError, FileMissingError } from "../platform/io.ts";
export type { BuildNotice, RuntimeIo } from "../platform/io.ts";
