/**
 * Structured JSON-lines logging with a redaction guard.
 *
 * @module
 */

export {
  createLogger,
  isRedactedKey,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  REDACT_KEY_PATTERN,
  REDACTED,
  SAFE_FIELD_KEYS,
} from "./logger.ts";
export { type LineBuffer, lineBuffer } from "./line_buffer.ts";
