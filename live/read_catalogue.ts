/**
 * Reads a real store's catalogue from the origin: the `catalogue` messages
 * that follow a `welcome` announcing them (to a client and to a cache).
 *
 * @module
 */

import { type Catalogue, CatalogueAssembler } from "../core/files/catalogue.ts";
import { ForesightError } from "../errors.ts";
import type { Message } from "../protocol/mod.ts";
import { nextMessage } from "./handshake.ts";

/**
 * Reads `count` catalogue entries from `msgs`.
 *
 * @throws {ForesightError} PROTOCOL for another message, entries out of order or a name
 *   twice; TIMEOUT when the next does not come within 120 s
 * @example
 * ```ts
 * const catalogue = await readCatalogue(msgs, welcome.catalogue!);
 * catalogue.size(7);
 * ```
 */
export async function readCatalogue(
  msgs: AsyncGenerator<Message>,
  count: number,
): Promise<Catalogue> {
  const asm = new CatalogueAssembler(count);
  while (!asm.complete) {
    const m = await nextMessage(msgs, 120_000, "read the catalogue");
    if (m.type !== "catalogue") {
      throw new ForesightError("PROTOCOL", `Cannot read the catalogue: got "${m.type}"`);
    }
    asm.add(m);
  }
  return asm.catalogue();
}
