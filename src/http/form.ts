import type { IncomingMessage } from 'node:http';
import { InvalidRequest, PayloadTooLarge } from '../errors.js';
import type { FormFields } from '../exchange/request.js';

/** Reads the raw body with a hard size limit (413 past it). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return Promise.reject(new PayloadTooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new PayloadTooLarge(maxBytes));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** application/x-www-form-urlencoded only (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1). */
export async function readForm(req: IncomingMessage, maxBytes: number): Promise<FormFields> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the body must be application/x-www-form-urlencoded', {
      headers: { Connection: 'close' },
    });
  }
  return parseForm((await readBody(req, maxBytes)).toString('utf8'));
}

/**
 * An urlencoded body as every value of every name, in order: repeats are kept so that the
 * request parser can refuse them (RFC 8693 §2.1 lets only resource and audience repeat).
 * Parsed as the WHATWG URL standard's application/x-www-form-urlencoded parser does (what
 * URLSearchParams runs), without its character-by-character pass over a token that needs no
 * decoding: a JWT is base64url, so most of an exchange's body is copied as it is.
 */
export function parseForm(body: string): FormFields {
  const fields = new Map<string, string[]>();
  // URLSearchParams drops one leading `?` (a query string's); so does this, to read the same.
  let start = body.charCodeAt(0) === 0x3f ? 1 : 0;
  // The next `=` at or after `start`, found once: a body of many `&` and no `=` stays linear.
  let eq = -1;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end < 0) end = body.length;
    if (end > start) {
      if (eq < start && eq !== body.length) {
        eq = body.indexOf('=', start);
        if (eq < 0) eq = body.length;
      }
      const split = eq < end;
      const k = decodeFormPart(body, start, split ? eq : end);
      const v = split ? decodeFormPart(body, eq + 1, end) : '';
      const list = fields.get(k);
      if (list) list.push(v);
      else fields.set(k, [v]);
    }
    start = end + 1;
  }
  return fields;
}

/** One name or value: `+` is a space, `%XX` a byte of UTF-8; only what needs it is decoded. */
function decodeFormPart(body: string, from: number, to: number): string {
  const raw = body.slice(from, to);
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    // A stray `%` or bytes that are not UTF-8: the standard keeps the `%` and replaces the
    // bytes with U+FFFD, where decodeURIComponent throws. URLSearchParams does exactly that.
    return new URLSearchParams(`a=${raw}`).get('a') ?? raw;
  }
}
