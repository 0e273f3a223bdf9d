/** Golden world hashes of the determinism scenes: scene -> [tick, hash]; shared by the core and shard tests. Regenerate only for an intended change of the physics. */
export const GOLDEN: Record<string, Array<[number, string]>> = {
  pile: [
    [100, '0x3b7f5e52609708ab'],
    [300, '0xeb6d881d38a96667'],
  ],
  rain: [
    [100, '0xe727c7d84ae0e98c'],
    [300, '0x4a7c755b7f80f603'],
  ],
  walkers: [
    [100, '0x415585adf18fee98'],
    [300, '0xf7ecaa792ce3721c'],
  ],
  // issue 18: boxes, a hinged chain and terrain (test/helpers/scenes.ts buildYard, seed 21)
  yard: [
    [100, '0x3c56bb68c7c19ff1'],
    [600, '0xb46246c93340b866'],
  ],
};
