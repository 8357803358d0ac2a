/**
 * Who may join: an optional shared secret, proven by challenge and response
 * at the handshake so that it never crosses the wire. The server sends a
 * random nonce; the peer answers HMAC-SHA-256(secret, "foresight/1 " + role +
 * " " + nonce), which the server checks in constant time (Web Crypto, on all
 * three runtimes).
 *
 * @module
 */

const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function key(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function message(role: string, nonce: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`foresight/1 ${role} ${nonce}`);
}

/**
 * A fresh random nonce as 64 hex digits.
 *
 * @example
 * ```ts
 * const nonce = newNonce(); // "3f9c…" (64 hex digits)
 * ```
 */
export function newNonce(): string {
  return hex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The answer to a challenge: HMAC-SHA-256 of the role and nonce under `secret`, as hex.
 *
 * @example
 * ```ts
 * const mac = await answer("s3cret", "client", nonce);
 * ```
 */
export async function answer(secret: string, role: string, nonce: string): Promise<string> {
  return hex(
    new Uint8Array(await crypto.subtle.sign("HMAC", await key(secret), message(role, nonce))),
  );
}

/**
 * True when `mac` answers the challenge `nonce` for `role` under `secret` (constant-time check).
 *
 * @example
 * ```ts
 * await check("s3cret", "client", nonce, await answer("s3cret", "client", nonce)); // true
 * ```
 */
export async function check(
  secret: string,
  role: string,
  nonce: string,
  mac: string,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(mac)) return false;
  return await crypto.subtle.verify("HMAC", await key(secret), unhex(mac), message(role, nonce));
}
