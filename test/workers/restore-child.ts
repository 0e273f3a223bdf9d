/**
 * Child process for the split-run determinism test: restores a saved world from a file,
 * steps it, and prints its state hash. Usage: node restore-child.js <file> <ticks> <variant>
 */
import { readFileSync } from 'node:fs';
import { PhysicsWorld } from '../../src/physics/world';
import type { CoreVariant } from '../../src/physics/wasm';

const [file, ticks, variant] = process.argv.slice(2);
const world = PhysicsWorld.restore(new Uint8Array(readFileSync(file)), { variant: variant as CoreVariant });
world.step(Number(ticks));
process.stdout.write(`${world.hash().toString(16)}\n`);
