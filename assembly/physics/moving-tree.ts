// Moving bodies for queries: a tree over the moving bodies' bounds, built lazily.
//
// Raycasts and overlaps (query.ts) must see every moving body where it is now. The broadphase
// grid of a step cannot serve: it holds the awake bodies at the start of the last step
// (sleepers live in the sleep hash), and bodies have moved, appeared or gone since. Scanning
// the MOVING list costs O(moving bodies) per query. Instead this module keeps a tree of the
// same kind as the static boxes' (static-tree.ts buildTree: median split by (centre, slot),
// stackless preorder walk) over the MOVING list, each body bounded by its sphere or capsule
// (AABB [c - r, c + r], r + h in y for a capsule), in MOVING_ORDER / MOVING_NODES.
//
// When it is built: MOVING_DIRTY is set by every step and by every change of a moving body
// outside a step (world.ts movingChanged: create, remove, set position, record import,
// init, relist after growth). The first BUILD_AFTER - 1 queries after that scan the MOVING
// list as before; the BUILD_AFTER-th builds the tree (O(moving log moving)) and it and the
// queries after it walk the tree, until the next change. So a world queried once per tick
// never pays a build (a million sleepers and one ray per tick cost what they cost before),
// and a batch of rays (the raycast benchmark casts 250 per tick) pays one build for all.
// MOVING_BUILDS counts builds; MOVING_QUERIES counts the queries since the last change.
//
// Determinism: like the static tree, the tree only prunes (query.ts says by how much a node
// is grown so that the pruning is conservative for its exact tests); every kept body gets the
// same exact test as in the scan, and the hits are sorted by (t, slot), so results are those
// of the scan whether or when the tree was built, whatever its shape. With STATIC_SCAN set the
// queries scan (the brute-force reference of the tests).

import {
  P_MOVING, P_MOVING_ORDER, P_MOVING_NODES,
  H_DYNAMIC_COUNT, H_MOVING_DIRTY, H_MOVING_NODE_COUNT, H_MOVING_BUILDS, H_MOVING_QUERIES, H_STATIC_SCAN,
} from './layout';
import { g32, hdr, setHdr } from './world';
import { buildTree } from './static-tree';

/** The query after a change that builds the tree (the ones before it scan). */
// @ts-ignore: decorator
@inline const BUILD_AFTER: i64 = 3;

/** Boxes per leaf of the moving tree. */
// @ts-ignore: decorator
@inline const LEAF: i32 = 4;

/** Address of node k of the moving tree. */
// @ts-ignore: decorator
@inline export function movingNodeAt(k: i32): usize { return P_MOVING_NODES + (<usize>k << 6); }

/** Slot of entry e of MOVING_ORDER (tree order). */
// @ts-ignore: decorator
@inline export function movingEntry(e: i32): i32 { return g32(P_MOVING_ORDER, e); }

/** Nodes of the moving tree; valid when movingTreeReady() returned true. */
// @ts-ignore: decorator
@inline export function movingNodeCount(): i32 { return <i32>hdr(H_MOVING_NODE_COUNT); }

/**
 * Called once by every query: true when the query may walk the moving tree (up to date, built
 * now if this is the BUILD_AFTER-th query since the last change), false when it must scan the
 * MOVING list (STATIC_SCAN set, or too few queries since the change to pay for a build).
 */
export function movingTreeReady(): bool {
  if (hdr(H_STATIC_SCAN) != 0) return false;
  if (hdr(H_MOVING_DIRTY) == 0) return true;
  const q = hdr(H_MOVING_QUERIES) + 1;
  setHdr(H_MOVING_QUERIES, q);
  if (q < BUILD_AFTER) return false;
  const n = <i32>hdr(H_DYNAMIC_COUNT);
  memory.copy(P_MOVING_ORDER, P_MOVING, <usize>n << 2);
  setHdr(H_MOVING_NODE_COUNT, buildTree(P_MOVING_ORDER, P_MOVING_NODES, n, LEAF, true));
  setHdr(H_MOVING_BUILDS, hdr(H_MOVING_BUILDS) + 1);
  setHdr(H_MOVING_DIRTY, 0);
  return true;
}
