// Ordering the shard lists that are mostly in order already (assembly/physics/shard.ts): stable
// merges of sorted runs, so that a list made of a few sorted pieces costs one pass instead of
// the radix sort's two or four (shard-sort.ts).
//
// Touch entries are 16 bytes: key u64 (A << 32 | B, so the u32 at byte 0 is B and at byte 4 is
// A), then A's and B's generations. Subject pairs are 8 bytes: subject u32, entry index u32.
//
// Determinism: each function gives exactly the bytes of the stable sort it replaces (equal keys
// keep their input order): a stable sort of a list is the unique ordering by (key, input
// position), and merging runs each sorted by that pair, taking the earlier run's element on
// equal keys, yields that ordering.

import { sortBySlot, copy16 } from './shard-sort';

// @ts-ignore: decorator
@inline function entry(p: usize, i: i32): usize { return p + (<usize>i << 4); }
// @ts-ignore: decorator
@inline function keyAt(p: usize, i: i32): u64 { return load<u64>(entry(p, i)); }

/** Merges two runs of touch entries sorted by key into dst, on equal keys a's first (stable: a comes first in the input). dst must not overlap a or b. */
function mergeStable(a: usize, na: i32, b: usize, nb: i32, dst: usize): void {
  let i = 0, j = 0, o = 0;
  while (i < na && j < nb) {
    if (keyAt(b, j) < keyAt(a, i)) { copy16(entry(dst, o), entry(b, j)); j++; }
    else { copy16(entry(dst, o), entry(a, i)); i++; }
    o++;
  }
  if (i < na) memory.copy(entry(dst, o), entry(a, i), <usize>(na - i) << 4);
  if (j < nb) memory.copy(entry(dst, o + na - i), entry(b, j), <usize>(nb - j) << 4);
}

/** Index of the first entry of the n touch entries at p that is below its predecessor (n if none). */
function firstDescent(p: usize, from: i32, n: i32): i32 {
  for (let i = from + 1; i < n; i++) if (keyAt(p, i) < keyAt(p, i - 1)) return i;
  return n;
}

/**
 * The n touch entries at `a` in key order, stably (as shard-sort.ts sorting by B, then by A):
 * returns the address holding them, `a` itself when they are in order already. The first
 * `nLists` entries are in at most two sorted runs in the common case (entries gathered from a
 * few sorted lists); the rest, few, are sorted on their own. Otherwise (more runs) the whole
 * list is radix sorted. `b` and `c` are scratch buffers of n entries each (the result is in
 * one of a, b, c; a's contents may change). hw bounds A and B, `counts` is sortBySlot's.
 */
export function entriesInKeyOrder(a: usize, nLists: i32, n: i32, b: usize, c: usize, hw: i32, counts: usize): usize {
  const m1 = firstDescent(a, 0, nLists);
  if (m1 < nLists && firstDescent(a, m1, nLists) < nLists) {
    sortBySlot(a, n, b, 16, 0, hw, counts);
    sortBySlot(b, n, c, 16, 4, hw, counts);
    return c;
  }
  // the tail [nLists, n) in order (sorting it alone keeps it after the lists' entries, as the
  // whole stable sort would on equal keys)
  const tail = entry(a, nLists), nt = n - nLists;
  if (firstDescent(tail, 0, nt) < nt) {
    sortBySlot(tail, nt, entry(b, nLists), 16, 0, hw, counts);
    sortBySlot(entry(b, nLists), nt, tail, 16, 4, hw, counts);
  }
  // runs [0, m1), [m1, nLists), [nLists, n): merge the first two into b, then with the tail into c
  if (m1 == nLists && (nt == 0 || nLists == 0 || keyAt(a, nLists - 1) <= keyAt(a, nLists))) return a;
  let src = a, ns = nLists;
  if (m1 < nLists) {
    mergeStable(a, m1, entry(a, m1), nLists - m1, b);
    src = b;
  }
  if (nt == 0) return src;
  mergeStable(src, ns, tail, nt, c);
  return c;
}

/**
 * The (subject, index) pairs of the nc touch entries at `touch` sorted by subject, stably (by
 * index within a subject), into dst: as sortBySlot over all the pairs. An entry's subject is
 * its A unless A is static (then B; `isStatic` bit 2 of the u8 per slot at `kinds`, shard.ts
 * OWNED): the entries on a moving A are in subject order already (the list is in key order),
 * so only those on a static A (floor and wall contacts) are sorted, then merged in.
 * `sa`, `sb`: scratch of nc pairs each.
 */
export function pairsBySubject(touch: usize, nc: i32, kinds: usize, dst: usize, sa: usize, sb: usize, hw: i32, counts: usize): void {
  // moving A: straight into sa; static A: into sb
  let na = 0, ns = 0;
  for (let x = 0; x < nc; x++) {
    const key = keyAt(touch, x);
    const aSlot = <u32>(key >> 32);
    if ((load<u8>(kinds + <usize>aSlot) & 4) != 0) {
      store<u32>(sb + (<usize>ns << 3), <u32>key);
      store<u32>(sb + (<usize>ns << 3), <u32>x, 4);
      ns++;
    } else {
      store<u32>(sa + (<usize>na << 3), aSlot);
      store<u32>(sa + (<usize>na << 3), <u32>x, 4);
      na++;
    }
  }
  // the static-A pairs by subject (stable: by index within a subject), back into sb
  const sorted = sb + (<usize>ns << 3);
  if (ns > 1) {
    sortBySlot(sb, ns, sorted, 8, 0, hw, counts);
    memory.copy(sb, sorted, <usize>ns << 3);
  }
  // merge by (subject, index)
  let i = 0, j = 0, o = 0;
  while (i < na && j < ns) {
    const pi = sa + (<usize>i << 3), pj = sb + (<usize>j << 3);
    const si = load<u32>(pi), sj = load<u32>(pj);
    if (sj < si || (sj == si && load<u32>(pj, 4) < load<u32>(pi, 4))) { store<u64>(dst + (<usize>o << 3), load<u64>(pj)); j++; }
    else { store<u64>(dst + (<usize>o << 3), load<u64>(pi)); i++; }
    o++;
  }
  if (i < na) memory.copy(dst + (<usize>o << 3), sa + (<usize>i << 3), <usize>(na - i) << 3);
  if (j < ns) memory.copy(dst + (<usize>(o + na - i) << 3), sb + (<usize>j << 3), <usize>(ns - j) << 3);
}
