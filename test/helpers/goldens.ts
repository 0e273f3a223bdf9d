/** Golden world hashes of the determinism scenes: scene -> [tick, hash]; shared by the core and shard tests. Regenerate only for an intended change of the physics. */
export const GOLDEN: Record<string, Array<[number, string]>> = {
  pile: [
    [100, '0x90d8760c4754f045'],
    [300, '0xc033a4d40fc5bea9'],
  ],
  rain: [
    [100, '0x40c984d01bc6ff5d'],
    [300, '0x03a672c4c631d762'],
  ],
  walkers: [
    [100, '0x184cb432c71d2551'],
    [300, '0x11123bbf0e15cab3'],
  ],
};
