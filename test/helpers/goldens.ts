/** Golden world hashes of the determinism scenes: scene -> [tick, hash]; shared by the core and shard tests. Regenerate only for an intended change of the physics. */
export const GOLDEN: Record<string, Array<[number, string]>> = {
  pile: [
    [100, '0x53abecca66a0ed53'],
    [300, '0x81d6b09bbe2d1ac0'],
  ],
  rain: [
    [100, '0x2816423a56ec6079'],
    [300, '0x196638acf208a9eb'],
  ],
  walkers: [
    [100, '0xba535db97a381b4c'],
    [300, '0x5b5d14095d66f309'],
  ],
};
