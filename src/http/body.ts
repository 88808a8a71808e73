/**
 * Reading request bodies within limits: a byte cap checked against `Content-Length` and again
 * while streaming, and a JSON nesting cap checked before parsing.
 */

import { KeypebbleError } from "../errors.ts";

/** Read at most `maxBytes` of the body as text, or fail with `payload_too_large`. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > maxBytes) throw _tooLarge(maxBytes);
    // HTTP framing holds the body to its declared length, so the runtime's one-shot read is
    // safe here, and much cheaper than pulling the stream chunk by chunk.
    if (Number.isInteger(n) && n >= 0) {
      let buf: ArrayBuffer;
      try {
        buf = await req.arrayBuffer();
      } catch {
        throw KeypebbleError.answer("invalid_body", "The request body could not be read");
      }
      return _decode(new Uint8Array(buf));
    }
  }
  if (req.body === null) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch {
      throw KeypebbleError.answer("invalid_body", "The request body could not be read");
    }
    if (r.done) break;
    total += r.value.byteLength;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      throw _tooLarge(maxBytes);
    }
    chunks.push(r.value);
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return _decode(all);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Bodies up to this many bytes are checked for ASCII and, when they are, decoded in place. */
const SHORT_BODY = 1024;

function _decode(bytes: Uint8Array): string {
  // A short ASCII body (the usual token request) is its own UTF-8 decoding: skip the decoder,
  // whose call into the runtime costs more than this loop.
  if (bytes.length <= SHORT_BODY) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw KeypebbleError.answer("invalid_body", "The request body is not valid UTF-8");
  }
}

/**
 * Parse a JSON object body. Non-JSON, non-object, and nesting deeper than `maxDepth` are
 * `invalid_json` errors.
 */
export async function readJsonObject(
  req: Request,
  limits: { maxBodyBytes: number; maxJsonDepth: number },
): Promise<Record<string, unknown>> {
  const text = await readBodyText(req, limits.maxBodyBytes);
  if (jsonDepth(text) > limits.maxJsonDepth) {
    throw KeypebbleError.answer(
      "invalid_json",
      `The JSON body is nested deeper than ${limits.maxJsonDepth} levels`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw KeypebbleError.answer("invalid_json", "The request body is not valid JSON");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw KeypebbleError.answer("invalid_json", "The request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

/** Read an `application/x-www-form-urlencoded` body. */
export async function readForm(req: Request, maxBytes: number): Promise<URLSearchParams> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw KeypebbleError.answer(
      "unsupported_media_type",
      'The request body must be "application/x-www-form-urlencoded"',
    );
  }
  return new URLSearchParams(await readBodyText(req, maxBytes));
}

/**
 * Read a form body whose parameters must not be repeated (RFC 6749 §3.2: the OAuth endpoints);
 * a repeated one is `invalid_request`.
 */
export async function readSingleValuedForm(
  req: Request,
  maxBytes: number,
): Promise<URLSearchParams> {
  const form = await readForm(req, maxBytes);
  const seen = new Set<string>();
  for (const [name] of form) {
    if (seen.has(name)) {
      throw KeypebbleError.answer(
        "invalid_request",
        `Parameter "${name.slice(0, 32)}" is repeated`,
      );
    }
    seen.add(name);
  }
  return form;
}

/**
 * Read a JSON body of any shape, `application/json` (or `+json`) only (415 otherwise), within
 * the body and nesting limits: pico-auth's clients send a single value bare (`"a1b2…"` for a
 * refresh token, `"operator"` for a role).
 */
export async function readJsonValue(
  req: Request,
  limits: { maxBodyBytes: number; maxJsonDepth: number },
): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw KeypebbleError.answer(
      "unsupported_media_type",
      'The request body must be "application/json"',
    );
  }
  const text = await readBodyText(req, limits.maxBodyBytes);
  if (jsonDepth(text) > limits.maxJsonDepth) {
    throw KeypebbleError.answer(
      "invalid_json",
      `The JSON body is nested deeper than ${limits.maxJsonDepth} levels`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw KeypebbleError.answer("invalid_json", "The request body is not valid JSON");
  }
}

/** The maximum bracket nesting of a JSON text, ignoring brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

function _tooLarge(maxBytes: number): KeypebbleError {
  return KeypebbleError.answer(
    "payload_too_large",
    `The request body is larger than ${maxBytes} bytes`,
  );
}
