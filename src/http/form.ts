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
 */
export function parseForm(body: string): FormFields {
  const fields = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body)) {
    const list = fields.get(k);
    if (list) list.push(v);
    else fields.set(k, [v]);
  }
  return fields;
}
