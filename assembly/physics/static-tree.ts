// Static geometry: a bounding volume hierarchy over the static boxes, and a list of the rest.
//
// A level is mostly static boxes of very different sizes (a 200 m floor beside 1 m crates),
// so a moving body, a substep sweep or a query must not test every one of them. The static
// boxes sit in a BVH over their AABBs ([c - e, c + e], raw metres). The other statics stay
// in a short list that every user tests, as a scan of every static did: planes (unbounded
// half-spaces) and static spheres or capsules (the API allows them; no scene uses them).
// Heightfields and triangle meshes (terrain.ts) keep their AABB in the box fields and are
// indexed exactly as boxes are (`bounded`): "box" below means any of the three; each finds its
// own triangles near a body.
//
//   STATIC_ORDER  | box slots, tree order (STATIC_BOXES) | other slots (STATIC_OTHERS) |
//                   other statics: large boxes (below), planes, static spheres and capsules
//   STATIC_NODES  node 0 = root, depth first (preorder): a node's left child is the next
//                 node, its SKIP is the node after its subtree, so a walk needs no stack:
//
//        0 [0,9)                    walk: visit k; AABB misses -> k = SKIP(k);
//        |-- 1 [0,4) leaf              hits and leaf -> test its entries, k = SKIP(k) = k + 1;
//        '-- 2 [4,9)                   hits and internal -> k = k + 1 (its left child)
//             |-- 3 [4,6) leaf
//             '-- 4 [6,9) leaf      (SKIP: 0 -> 5, 1 -> 2, 2 -> 5, 3 -> 4, 4 -> 5)
//
// Build (top down, integers only): a node holds the union of its boxes' AABBs; a node with
// more than L = STATIC_LEAF boxes (default and least 4) splits at the median of the box
// centres along the axis where the centres spread widest (x, then y, then z on ties), in the
// order (centre on that axis, slot); a selection (Hoare's FIND) puts the lower half first, in
// O(n) per level, O(n log n) in all, depth about log2(boxes / L). Splitting more than 4
// boxes leaves at least 2 on each side, so leaves hold 2..L boxes (1 only when there is one
// box), and there are at most max(1, boxes - 1) nodes: the STATIC_NODES array is sized by
// the capacity.
//
// Large boxes: a 200 m floor among 1 m crates would widen every node on its leaf's path, so
// that nearly every query walks that path too (about two node tests per level, ~10 of the
// ~36 a body on such a floor among 10,000 crates pays). A box whose largest half extent is
// more than LARGE_FACTOR (8) times the mean over all static boxes joins the other statics
// instead, tested by every user (a box reach test each), as long as there are at most
// LARGE_MAX (16) of them; with more, the level is not "small props on a few big slabs" and
// every box stays in the tree. Which boxes are large depends only on the static set.
//
// Laziness: world.ts sets STATIC_DIRTY whenever a static body appears, disappears, moves or
// is imported (bodyCreate, bodyRemove, bodySetPosition, bodyImport, shard put / drop);
// staticTreeUpdate() rebuilds before the tree's next use (a step or a query) only when it is
// set, so a world whose statics never change builds once (STATIC_BUILDS counts builds).
//
// Each build also writes the boxes' AABBs in tree order (STATIC_AABB), so a leaf's boxes are
// tested from one contiguous, spatially ordered array rather than six per-body arrays.
//
// Queries: staticBoxesOverlapping appends the boxes whose AABB overlaps a query AABB (open
// or closed intervals, as the caller's exact test needs), visiting only nodes whose AABB
// overlaps it: collide.ts (a body's reach), staticSweepCandidates (a fast sphere's substep
// motion, for solver.ts) and query.ts's overlaps use it; staticNodeAt / staticEntry let
// query.ts's raycasts walk the tree with their own node test (a ray's slab test). A moving
// body's narrowphase goes through staticBoxesNear, which keeps per body (STATIC_CACHE) the boxes
// near a fattened box around its reach, so a body that moves less than its reach between
// ticks walks no node (level scene: 7.3 -> 1.0 nodes per body per step). STATIC_VISITS and STATIC_TESTS count the nodes visited and
// the statics tested by a step (STATIC_SCAN: no tree, every box; the tests' reference).
//
// Determinism: the tree only prunes. A subtree is skipped only when its AABB misses the
// query, and then every box below it misses too (its AABB lies inside the node's), so the
// candidates are exactly the boxes the brute-force scan's filter would keep; every caller
// puts them in slot order before using them (collide.ts sorts its candidates, sweeps and
// queries sort by slot), so results are bit-identical to a scan of every static, whatever the
// tree's shape. The shape itself is canonical too: the split keys (centre, slot) are
// distinct, so which boxes fall in each node depends only on the static set, not on the
// order of the STATICS list (that order only reorders boxes inside a leaf). Domain: box
// bounds c +- e must fit an i64 (|c| + |e| < 2^62 raw), and a half extent times the box count
// too (extents below 2^40 raw for a million boxes), far beyond any world.

import {
  P_PX, P_PY, P_PZ, P_VX, P_VY, P_VZ, P_HX, P_HY, P_HZ, P_RADIUS, P_SHAPE, P_STATICS, H_TICK_RATE, P_STATIC_ORDER, P_STATIC_NODES,
  H_STATIC_COUNT, H_STATIC_DIRTY, H_STATIC_BOXES, H_STATIC_OTHERS, H_STATIC_NODE_COUNT, H_STATIC_BUILDS,
  H_STATIC_TESTS, H_STATIC_VISITS, H_STATIC_LEAF, H_STATIC_SCAN, P_STATIC_CACHE, P_STATIC_AABB, STATIC_CACHE_BYTES, STATIC_CACHE_MAX,
  K_LO_X, K_LO_Y, K_LO_Z, K_HI_X, K_HI_Y, K_HI_Z, K_BUILD, K_COUNT, K_LIST,
  N_LO_X, N_LO_Y, N_LO_Z, N_HI_X, N_HI_Y, N_HI_Z, N_SKIP, N_FIRST, N_COUNT,
  SHAPE_BOX, SHAPE_CAPSULE, SHAPE_HEIGHTFIELD, SHAPE_MESH,
} from './layout';
import { g64, g32, s32, hdr, setHdr, tagOf } from './world';

/** Default and least leaf size (STATIC_LEAF): a leaf's boxes are tested one by one. */
// @ts-ignore: decorator
@inline const LEAF_MIN: i64 = 4;

/** A box is large when its largest half extent exceeds this many times the mean over the static boxes. */
// @ts-ignore: decorator
@inline const LARGE_FACTOR: i64 = 8;
/** At most this many large boxes go to the other statics; with more, every box stays in the tree. */
// @ts-ignore: decorator
@inline const LARGE_MAX: i32 = 16;

// Most boxes per leaf in the build under way (module global).
let leafSize: i32 = 4;

/** Address of node k. */
// @ts-ignore: decorator
@inline export function staticNodeAt(k: i32): usize { return P_STATIC_NODES + (<usize>k << 6); }

/** Slot of entry e of STATIC_ORDER (boxes in tree order, then the other statics). */
// @ts-ignore: decorator
@inline export function staticEntry(e: i32): i32 { return g32(P_STATIC_ORDER, e); }

/** Static boxes in the tree (entries [0, n) of STATIC_ORDER); valid after staticTreeUpdate. */
// @ts-ignore: decorator
@inline export function staticBoxCount(): i32 { return <i32>hdr(H_STATIC_BOXES); }

/** Other statics: planes, spheres, capsules (entries [boxes, boxes + n) of STATIC_ORDER); valid after staticTreeUpdate. */
// @ts-ignore: decorator
@inline export function staticOtherCount(): i32 { return <i32>hdr(H_STATIC_OTHERS); }

/** Nodes of the tree (0 when there are no boxes); valid after staticTreeUpdate. */
// @ts-ignore: decorator
@inline export function staticNodeCount(): i32 { return <i32>hdr(H_STATIC_NODE_COUNT); }

// ---- build ----

// The build under way (module globals: no allocation): nodes written so far, the entry array
// it orders (STATIC_ORDER, or MOVING_ORDER for moving-tree.ts), its node array, and whether
// its bodies are moving ones (AABB = bounding box of sphere / capsule) or static boxes.
let nodeCount = 0;
let orderAt: usize = 0;
let nodesAt: usize = 0;
let movingBodies = false;

/** Half extents of body j's AABB: a static box's, or with `moving` a moving body's bound (r; r + h in y for a capsule). */
// @ts-ignore: decorator
@inline function halfX(j: i32, moving: bool): i64 { return moving ? g64(P_RADIUS, j) : g64(P_HX, j); }
// @ts-ignore: decorator
@inline function halfY(j: i32, moving: bool): i64 {
  return moving ? g64(P_RADIUS, j) + (g32(P_SHAPE, j) == SHAPE_CAPSULE ? g64(P_HY, j) : 0) : g64(P_HY, j);
}
// @ts-ignore: decorator
@inline function halfZ(j: i32, moving: bool): i64 { return moving ? g64(P_RADIUS, j) : g64(P_HZ, j); }

/** The centre array of an axis (0 x, 1 y, 2 z). */
// @ts-ignore: decorator
@inline function centreOf(axis: i32): usize { return axis == 0 ? P_PX : (axis == 1 ? P_PY : P_PZ); }

/** Split order: (centre on the axis, slot), a strict total order on distinct slots. */
// @ts-ignore: decorator
@inline function before(p: usize, a: i32, b: i32): bool {
  const ca = g64(p, a), cb = g64(p, b);
  return ca < cb || (ca == cb && a < b);
}

/**
 * Reorders entries [lo, hi] of STATIC_ORDER so that entry k holds the element of rank k
 * (in the `before` order of centre array p), the ones before it rank lower and the ones
 * after rank higher (Hoare's FIND, as in Wirth, "Algorithms + Data Structures = Programs").
 */
function selectRank(lo: i32, hi: i32, k: i32, p: usize): void {
  while (lo < hi) {
    const x = g32(orderAt, k);
    let i = lo, j = hi;
    do {
      while (before(p, g32(orderAt, i), x)) i++;
      while (before(p, x, g32(orderAt, j))) j--;
      if (i <= j) {
        const t = g32(orderAt, i);
        s32(orderAt, i, g32(orderAt, j));
        s32(orderAt, j, t);
        i++; j--;
      }
    } while (i <= j);
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
}

/** Builds the subtree over entries [first, first + count) (count >= 1) at the next node index. */
function buildNode(first: i32, count: i32): void {
  const k = nodeCount++;
  const nd = nodesAt + (<usize>k << 6);
  let lx = i64.MAX_VALUE, ly = i64.MAX_VALUE, lz = i64.MAX_VALUE;
  let hx = i64.MIN_VALUE, hy = i64.MIN_VALUE, hz = i64.MIN_VALUE;
  let clx = i64.MAX_VALUE, cly = i64.MAX_VALUE, clz = i64.MAX_VALUE;
  let chx = i64.MIN_VALUE, chy = i64.MIN_VALUE, chz = i64.MIN_VALUE;
  for (let e = first; e < first + count; e++) {
    const j = g32(orderAt, e);
    const cx = g64(P_PX, j), cy = g64(P_PY, j), cz = g64(P_PZ, j);
    const ex = halfX(j, movingBodies), ey = halfY(j, movingBodies), ez = halfZ(j, movingBodies);
    lx = min(lx, cx - ex); ly = min(ly, cy - ey); lz = min(lz, cz - ez);
    hx = max(hx, cx + ex); hy = max(hy, cy + ey); hz = max(hz, cz + ez);
    clx = min(clx, cx); cly = min(cly, cy); clz = min(clz, cz);
    chx = max(chx, cx); chy = max(chy, cy); chz = max(chz, cz);
  }
  store<i64>(nd, lx, N_LO_X); store<i64>(nd, ly, N_LO_Y); store<i64>(nd, lz, N_LO_Z);
  store<i64>(nd, hx, N_HI_X); store<i64>(nd, hy, N_HI_Y); store<i64>(nd, hz, N_HI_Z);
  store<i32>(nd, first, N_FIRST);
  if (count <= leafSize) {
    store<i32>(nd, count, N_COUNT);
    store<i32>(nd, k + 1, N_SKIP);
    return;
  }
  store<i32>(nd, 0, N_COUNT);
  const sx = chx - clx, sy = chy - cly, sz = chz - clz;
  const axis = sx >= sy && sx >= sz ? 0 : (sy >= sz ? 1 : 2);
  const m = count >> 1;
  selectRank(first, first + count - 1, first + m, centreOf(axis));
  buildNode(first, m);
  buildNode(first + m, count - m);
  store<i32>(nd, nodeCount, N_SKIP);
}

/**
 * Builds a tree (see the module comment) over the n body slots of the i32 array `order`
 * (reordered into tree order) into the node array `nodes` (at most max(1, n - 1) nodes of
 * STATIC_NODE_BYTES), leaves of at most `leaf` (>= 4) entries; `moving`: the entries are
 * moving bodies, each bounded by its sphere or capsule, else static boxes. Returns the node
 * count (0 when n is 0). Used for the static boxes here and the moving bodies by moving-tree.ts.
 */
export function buildTree(order: usize, nodes: usize, n: i32, leaf: i32, moving: bool): i32 {
  orderAt = order; nodesAt = nodes; movingBodies = moving; leafSize = leaf;
  nodeCount = 0;
  if (n > 0) buildNode(0, n);
  return nodeCount;
}

/** Address of the AABB of box entry e (STATIC_AABB: LO x y z, HI x y z, i64). */
// @ts-ignore: decorator
@inline function boxAabb(e: i32): usize { return P_STATIC_AABB + <usize>e * 48; }

/**
 * Whether static j is indexed by its AABB (centre PX..PZ, half extents HX..HZ) like a box: a
 * box, or a heightfield or triangle mesh (terrain.ts keeps their bounds there).
 */
// @ts-ignore: decorator
@inline function bounded(j: i32): bool {
  const s = g32(P_SHAPE, j);
  return s == SHAPE_BOX || s == SHAPE_HEIGHTFIELD || s == SHAPE_MESH;
}

/** Largest half extent of box j (raw). */
// @ts-ignore: decorator
@inline function maxHalf(j: i32): i64 { return max(g64(P_HX, j), max(g64(P_HY, j), g64(P_HZ, j))); }

/** Whether box j is large: its largest half extent exceeds LARGE_FACTOR x the mean of the n boxes' (sum / n). */
// @ts-ignore: decorator
@inline function isLarge(j: i32, n: i32, sum: i64): bool { return maxHalf(j) * <i64>n > sum * LARGE_FACTOR; }

/**
 * Rebuilds the tree from the STATICS list when STATIC_DIRTY is set (see the module
 * comment); otherwise does nothing. Call before any use of the tree.
 */
export function staticTreeUpdate(): void {
  if (hdr(H_STATIC_DIRTY) == 0) return;
  const n = <i32>hdr(H_STATIC_COUNT);
  const scan = hdr(H_STATIC_SCAN) != 0;
  // large boxes (see the module comment): largest half extent above LARGE_FACTOR x the mean
  let all = 0, sum: i64 = 0;
  for (let s = 0; s < n; s++) {
    const j = g32(P_STATICS, s);
    if (bounded(j)) { all++; sum += maxHalf(j); }
  }
  let large = 0;
  for (let s = 0; s < n; s++) {
    const j = g32(P_STATICS, s);
    if (bounded(j) && isLarge(j, all, sum)) large++;
  }
  const split = !scan && large <= LARGE_MAX;
  let boxes = 0;
  for (let s = 0; s < n; s++) {
    const j = g32(P_STATICS, s);
    if (bounded(j) && !(split && isLarge(j, all, sum))) s32(P_STATIC_ORDER, boxes++, j);
  }
  let others = 0;
  for (let s = 0; s < n; s++) {
    const j = g32(P_STATICS, s);
    if (!bounded(j) || (split && isLarge(j, all, sum))) s32(P_STATIC_ORDER, boxes + others++, j);
  }
  const leaf = hdr(H_STATIC_LEAF);
  leafSize = <i32>(leaf < LEAF_MIN ? LEAF_MIN : (leaf > <i64>i32.MAX_VALUE ? <i64>i32.MAX_VALUE : leaf));
  nodeCount = 0;
  if (scan) sortSlots(P_STATIC_ORDER, boxes);                       // no tree: the boxes in slot order
  else buildTree(P_STATIC_ORDER, P_STATIC_NODES, boxes, leafSize, false);
  for (let e = 0; e < boxes; e++) {
    const j = g32(P_STATIC_ORDER, e), a = boxAabb(e);
    const cx = g64(P_PX, j), cy = g64(P_PY, j), cz = g64(P_PZ, j), ex = g64(P_HX, j), ey = g64(P_HY, j), ez = g64(P_HZ, j);
    store<i64>(a, cx - ex, 0); store<i64>(a, cy - ey, 8); store<i64>(a, cz - ez, 16);
    store<i64>(a, cx + ex, 24); store<i64>(a, cy + ey, 32); store<i64>(a, cz + ez, 40);
  }
  setHdr(H_STATIC_BOXES, boxes);
  setHdr(H_STATIC_OTHERS, others);
  setHdr(H_STATIC_NODE_COUNT, nodeCount);
  setHdr(H_STATIC_BUILDS, hdr(H_STATIC_BUILDS) + 1);
  setHdr(H_STATIC_DIRTY, 0);
}

// ---- queries ----

/** Clears the step's work counters (STATIC_VISITS, STATIC_TESTS). */
export function staticCountersReset(): void {
  setHdr(H_STATIC_VISITS, 0);
  setHdr(H_STATIC_TESTS, 0);
}

/** Adds to the step's work counters: tree nodes visited and static bodies tested. */
// @ts-ignore: decorator
@inline export function staticCount(visits: i32, tests: i32): void {
  setHdr(H_STATIC_VISITS, hdr(H_STATIC_VISITS) + visits);
  setHdr(H_STATIC_TESTS, hdr(H_STATIC_TESTS) + tests);
}

// Nodes visited and boxes tested by the last staticBoxesOverlapping call (module globals).
export let lastVisits = 0;
export let lastTests = 0;

/**
 * Appends to the i32 array at `out` (from index n) the slot of every static box whose AABB
 * overlaps the query AABB [lo, hi] (raw metres): with `closed`, intervals that only touch
 * overlap (box lo <= hi and box hi >= lo on every axis); without, they do not (box lo < hi
 * and box hi > lo). Order: tree order (callers sort by slot). Returns the new count; sets
 * lastVisits / lastTests. The tree must be up to date (staticTreeUpdate). With STATIC_SCAN
 * set, appends every box instead (no filter at all).
 */
export function staticBoxesOverlapping(
  lox: i64, loy: i64, loz: i64, hix: i64, hiy: i64, hiz: i64, closed: bool, out: usize, n: i32,
): i32 {
  if (hdr(H_STATIC_SCAN) != 0) {                    // the brute-force reference: every box, slot order
    const boxes = <i32>hdr(H_STATIC_BOXES);
    for (let e = 0; e < boxes; e++) { store<i32>(out + (<usize>n << 2), g32(P_STATIC_ORDER, e)); n++; }
    lastVisits = 0;
    lastTests = boxes;
    return n;
  }
  n = treeOverlapping(P_STATIC_NODES, P_STATIC_ORDER, <i32>hdr(H_STATIC_NODE_COUNT), false, lox, loy, loz, hix, hiy, hiz, closed, out, n, true);
  return n;
}

/**
 * The walk of staticBoxesOverlapping over any tree built by buildTree (nodes, entries, node
 * count; `moving`: entries bounded by their sphere or capsule, as built): appends the entries
 * whose AABB overlaps [lo, hi] (closed or open), visiting only nodes whose AABB overlaps it.
 * A subtree is skipped only when its AABB misses, and then every AABB inside misses too.
 */
export function treeOverlapping(
  nodes: usize, order: usize, nodeCount: i32, moving: bool,
  lox: i64, loy: i64, loz: i64, hix: i64, hiy: i64, hiz: i64, closed: bool, out: usize, n: i32, slots: bool = true,
): i32 {
  // open intervals: a < b is a <= b - 1 in integers, so one closed test serves both
  const d: i64 = closed ? 0 : 1;
  const qlx = lox + d, qly = loy + d, qlz = loz + d, qhx = hix - d, qhy = hiy - d, qhz = hiz - d;
  let visits = 0, tests = 0;
  let k = 0;
  while (k < nodeCount) {
    const nd = nodes + (<usize>k << 6);
    visits++;
    if (load<i64>(nd, N_LO_X) > qhx || load<i64>(nd, N_HI_X) < qlx || load<i64>(nd, N_LO_Y) > qhy ||
      load<i64>(nd, N_HI_Y) < qly || load<i64>(nd, N_LO_Z) > qhz || load<i64>(nd, N_HI_Z) < qlz) {
      k = load<i32>(nd, N_SKIP);
      continue;
    }
    const count = load<i32>(nd, N_COUNT);
    if (count == 0) { k++; continue; }
    const first = load<i32>(nd, N_FIRST);
    for (let e = first; e < first + count; e++) {
      tests++;
      if (moving) {
        const j = g32(order, e);
        const cx = g64(P_PX, j), ex = halfX(j, true);
        if (cx - ex > qhx || cx + ex < qlx) continue;
        const cy = g64(P_PY, j), ey = halfY(j, true);
        if (cy - ey > qhy || cy + ey < qly) continue;
        const cz = g64(P_PZ, j), ez = halfZ(j, true);
        if (cz - ez > qhz || cz + ez < qlz) continue;
        store<i32>(out + (<usize>n << 2), j);
      } else {
        // static boxes: their AABBs in tree order (STATIC_AABB)
        const a = boxAabb(e);
        if (load<i64>(a, 0) > qhx || load<i64>(a, 24) < qlx || load<i64>(a, 8) > qhy || load<i64>(a, 32) < qly ||
          load<i64>(a, 16) > qhz || load<i64>(a, 40) < qlz) continue;
        store<i32>(out + (<usize>n << 2), slots ? g32(order, e) : e);
      }
      n++;
    }
    k = load<i32>(nd, N_SKIP);
  }
  lastVisits = visits;
  lastTests = tests;
  return n;
}

/**
 * staticBoxesOverlapping with open intervals (collide.ts: the boxes a moving body's reach
 * [lo, hi] may touch) for body `slot`, through its STATIC_CACHE record: when the cache was
 * filled since the last build (BUILD = STATIC_BUILDS) and [lo, hi] lies inside its box, the
 * answer is the cached boxes that overlap [lo, hi]; otherwise the tree is walked for the box
 * [lo - fat, hi + fat] stretched along the body's velocity over AHEAD ticks (closed), the
 * result (box entries in tree order) cached when it holds at
 * most STATIC_CACHE_MAX boxes (else the cache is emptied), and filtered the same way. Exact either way: every box that
 * overlaps [lo, hi] overlaps the cached box that contains it, so it is in the list, and the
 * filter is the walk's own open test; the cache depends only on its box and the static set,
 * not on the body that filled it, so a slot reused by another body keeps a true cache
 * (bodyCreate and a record put into a dead slot empty it all the same: a world's memory may
 * hold another world's bytes). Order: cache order (callers sort). Work: STATIC_VISITS counts
 * the walks' nodes, STATIC_TESTS the boxes tested; a body that stays inside its box walks no
 * node. The tree must be up to date; with STATIC_SCAN set, every box (no cache).
 */
export function staticBoxesNear(
  slot: i32, lox: i64, loy: i64, loz: i64, hix: i64, hiy: i64, hiz: i64, fat: i64, out: usize, n: i32,
): i32 {
  if (hdr(H_STATIC_SCAN) != 0) return staticBoxesOverlapping(lox, loy, loz, hix, hiy, hiz, false, out, n);
  const c = P_STATIC_CACHE + <usize>slot * <usize>STATIC_CACHE_BYTES;
  const build = <i32>hdr(H_STATIC_BUILDS);
  const list = c + <usize>K_LIST;
  let m: i32;
  let visits = 0;
  if (cacheServes(c, lox, loy, loz, hix, hiy, hiz)) {
    m = load<i32>(c, K_COUNT);
    for (let e = 0; e < m; e++) store<i32>(out + (<usize>(n + e) << 2), load<i32>(list + (<usize>e << 2)));
  } else {
    // entries (tree positions) of the boxes touching the fattened box
    // fattened by `fat`, and stretched along the body's velocity over AHEAD ticks
    const rate = hdr(H_TICK_RATE) > 0 ? hdr(H_TICK_RATE) : 1;
    const ax = g64(P_VX, slot) * AHEAD / rate, ay = g64(P_VY, slot) * AHEAD / rate, az = g64(P_VZ, slot) * AHEAD / rate;
    const flx = lox - fat + (ax < 0 ? ax : 0), fly = loy - fat + (ay < 0 ? ay : 0), flz = loz - fat + (az < 0 ? az : 0);
    const fhx = hix + fat + (ax > 0 ? ax : 0), fhy = hiy + fat + (ay > 0 ? ay : 0), fhz = hiz + fat + (az > 0 ? az : 0);
    m = treeOverlapping(P_STATIC_NODES, P_STATIC_ORDER, <i32>hdr(H_STATIC_NODE_COUNT), false, flx, fly, flz, fhx, fhy, fhz, true, out, n, false) - n;
    visits = lastVisits;
    if (m <= STATIC_CACHE_MAX) {
      store<i64>(c, flx, K_LO_X); store<i64>(c, fly, K_LO_Y); store<i64>(c, flz, K_LO_Z);
      store<i64>(c, fhx, K_HI_X); store<i64>(c, fhy, K_HI_Y); store<i64>(c, fhz, K_HI_Z);
      store<i32>(c, m, K_COUNT);
      for (let e = 0; e < m; e++) store<i32>(list + (<usize>e << 2), load<i32>(out + (<usize>(n + e) << 2)));
      store<i32>(c, build, K_BUILD);
    } else {
      store<i32>(c, 0, K_BUILD);
    }
  }
  // keep the boxes that overlap [lo, hi] with open intervals (staticBoxesOverlapping's test), as slots
  const k = keepOverlapping(out + (<usize>n << 2), m, lox, loy, loz, hix, hiy, hiz, false, out, n);
  lastVisits = visits;
  lastTests = m;
  return k;
}

/** Whether the static-box cache at c is current (filled since the last tree build) and its box contains [lo, hi]. */
// @ts-ignore: decorator
@inline function cacheServes(c: usize, lox: i64, loy: i64, loz: i64, hix: i64, hiy: i64, hiz: i64): bool {
  return load<i32>(c, K_BUILD) == <i32>hdr(H_STATIC_BUILDS) && lox >= load<i64>(c, K_LO_X) && loy >= load<i64>(c, K_LO_Y) &&
    loz >= load<i64>(c, K_LO_Z) && hix <= load<i64>(c, K_HI_X) && hiy <= load<i64>(c, K_HI_Y) && hiz <= load<i64>(c, K_HI_Z);
}

/**
 * Appends to `out` from index n the slots of the m box entries (tree positions, i32) at src
 * whose AABB overlaps [lo, hi]: closed intervals when `closed`, else open. src may be out + n
 * (filtered in place: an entry is read before its place is written). Returns the new count.
 */
function keepOverlapping(src: usize, m: i32, lox: i64, loy: i64, loz: i64, hix: i64, hiy: i64, hiz: i64, closed: bool, out: usize, n: i32): i32 {
  let k = n;
  for (let q = 0; q < m; q++) {
    const e = load<i32>(src + (<usize>q << 2)), a = boxAabb(e);
    const miss = closed
      ? load<i64>(a, 0) > hix || load<i64>(a, 24) < lox || load<i64>(a, 8) > hiy || load<i64>(a, 32) < loy || load<i64>(a, 16) > hiz || load<i64>(a, 40) < loz
      : load<i64>(a, 0) >= hix || load<i64>(a, 24) <= lox || load<i64>(a, 8) >= hiy || load<i64>(a, 32) <= loy || load<i64>(a, 16) >= hiz || load<i64>(a, 40) <= loz;
    if (miss) continue;
    store<i32>(out + (<usize>k << 2), g32(P_STATIC_ORDER, e));
    k++;
  }
  return k;
}

/** Ticks of motion a static-box cache is stretched for (staticBoxesNear). */
// @ts-ignore: decorator
@inline const AHEAD: i64 = 4;

/** Empties body `slot`'s static-box cache (see staticBoxesNear). */
// @ts-ignore: decorator
@inline export function staticCacheClear(slot: i32): void {
  store<i32>(P_STATIC_CACHE + <usize>slot * <usize>STATIC_CACHE_BYTES, 0, K_BUILD);
}

/** Lists up to this long are insertion-sorted (a sweep's candidates: a few boxes and planes). */
// @ts-ignore: decorator
@inline const INSERTION_MAX: i32 = 32;

/**
 * Sorts the n i32 slots at p by tag (world.ts tagOf: the slot itself outside shard worlds),
 * ascending, in place, without allocating: insertion sort up to INSERTION_MAX entries (the
 * common case, a fast sphere's sweep candidates, as the narrowphase sorts its candidate
 * lists), heapsort above (O(n log n) however many boxes a sweep's AABB covers). Tags are
 * distinct, so the result does not depend on the input order or on which sort ran.
 */
export function sortSlots(p: usize, n: i32): void {
  if (n <= INSERTION_MAX) {
    for (let a = 1; a < n; a++) {
      const v = load<i32>(p + (<usize>a << 2)), kv = tagOf(v);
      let b = a - 1;
      while (b >= 0 && tagOf(load<i32>(p + (<usize>b << 2))) > kv) { store<i32>(p + (<usize>(b + 1) << 2), load<i32>(p + (<usize>b << 2))); b--; }
      store<i32>(p + (<usize>(b + 1) << 2), v);
    }
    return;
  }
  for (let k = (n >> 1) - 1; k >= 0; k--) siftSlots(p, k, n);
  for (let end = n - 1; end > 0; end--) {
    const t = load<i32>(p);
    store<i32>(p, load<i32>(p + (<usize>end << 2)));
    store<i32>(p + (<usize>end << 2), t);
    siftSlots(p, 0, end);
  }
}

/** Moves entry k of the max-heap (by tag) of n slots at p down to its place. */
function siftSlots(p: usize, k: i32, n: i32): void {
  const v = load<i32>(p + (<usize>k << 2)), kv = tagOf(v);
  while (true) {
    let c = 2 * k + 1;
    if (c >= n) break;
    if (c + 1 < n && tagOf(load<i32>(p + (<usize>(c + 1) << 2))) > tagOf(load<i32>(p + (<usize>c << 2)))) c++;
    const cv = load<i32>(p + (<usize>c << 2));
    if (tagOf(cv) <= kv) break;
    store<i32>(p + (<usize>k << 2), cv);
    k = c;
  }
  store<i32>(p + (<usize>k << 2), v);
}

/**
 * The statics a sphere of radius r moving from (x0, y0, z0) by (dx, dy, dz) (raw) may hit,
 * for solver.ts sweepStatics of body `slot`: every other static (planes, spheres, capsules),
 * and the boxes whose AABB touches the motion's AABB grown by r (closed intervals). When the
 * body's STATIC_CACHE (staticBoxesNear, filled by this tick's narrowphase) is current and its
 * box contains the motion's AABB, the boxes come from the cache, filtered by the same closed
 * test: exact, since the cache holds every box touching its box (closed), and a box touching
 * the motion's AABB touches every box containing it; otherwise the tree is walked. Written to
 * the i32 array at `out` in slot order; returns their count and adds to the step's work counters.
 */
export function staticSweepCandidates(slot: i32, x0: i64, y0: i64, z0: i64, dx: i64, dy: i64, dz: i64, r: i64, out: usize): i32 {
  const boxes = <i32>hdr(H_STATIC_BOXES), others = <i32>hdr(H_STATIC_OTHERS);
  let n = 0;
  for (let e = boxes; e < boxes + others; e++) { store<i32>(out + (<usize>n << 2), g32(P_STATIC_ORDER, e)); n++; }
  const lx = (dx < 0 ? x0 + dx : x0) - r, ly = (dy < 0 ? y0 + dy : y0) - r, lz = (dz < 0 ? z0 + dz : z0) - r;
  const hx = (dx > 0 ? x0 + dx : x0) + r, hy = (dy > 0 ? y0 + dy : y0) + r, hz = (dz > 0 ? z0 + dz : z0) + r;
  const c = P_STATIC_CACHE + <usize>slot * <usize>STATIC_CACHE_BYTES;
  if (hdr(H_STATIC_SCAN) == 0 && cacheServes(c, lx, ly, lz, hx, hy, hz)) {
    const m = load<i32>(c, K_COUNT);
    n = keepOverlapping(c + <usize>K_LIST, m, lx, ly, lz, hx, hy, hz, true, out, n);
    staticCount(0, m + others);
  } else {
    n = staticBoxesOverlapping(lx, ly, lz, hx, hy, hz, true, out, n);
    staticCount(lastVisits, lastTests + others);
  }
  sortSlots(out, n);
  return n;
}
