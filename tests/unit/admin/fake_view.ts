/**
 * A fake {@link RoleView} for the admin tests: a phase to set, stats to
 * change, and files of deterministic bytes.
 *
 * @module
 */

import type { FileAccess, Phase, RoleView } from "../../../core/run/role_view.ts";

/** Byte `i` of file `id`. */
export function byteOf(id: number, i: number): number {
  return (id * 31 + i * 7 + (i >> 8)) & 0xff;
}

/** The whole of file `id` (`id` × 1024 bytes). */
export function bytesOf(id: number): Uint8Array {
  return Uint8Array.from({ length: id * 1024 }, (_, i) => byteOf(id, i));
}

/** A view of a role whose state the test sets. */
export interface FakeView extends RoleView {
  setPhase(p: Phase): void;
  readonly counters: Record<string, unknown>;
  /** Files it holds (undefined: every file, as an origin). */
  held: Set<number> | undefined;
  /** Largest file id (origin: any id up to it). */
  files: number;
}

/**
 * A fake role; files are served in parts of at most `partBytes`
 * (each part a view into one shared buffer, as the origin does).
 */
export function fakeView(
  role: RoleView["role"],
  counters: Record<string, unknown> = {},
  partBytes = 1000,
): FakeView {
  let phase: Phase = "registering";
  const view: FakeView = {
    role,
    counters,
    held: undefined,
    files: 300,
    setPhase: (p) => phase = p,
    phase: () => phase,
    stats: () => ({ phase, ...counters }),
  };
  if (role === "client") return view;
  view.file = (id: number): FileAccess | undefined => {
    if (!Number.isInteger(id) || id < 1 || id > view.files) return undefined;
    if (view.held && !view.held.has(id)) return undefined;
    const whole = bytesOf(id);
    return {
      size: whole.length,
      *read(offset, length) {
        if (offset < 0 || offset + length > whole.length) {
          throw new Error("Cannot read: out of range");
        }
        for (let at = offset; at < offset + length; at += partBytes) {
          yield whole.subarray(at, Math.min(at + partBytes, offset + length));
        }
      },
    };
  };
  return view;
}
