/** Golden world hashes of the determinism scenes: scene -> [tick, hash]; shared by the core and shard tests. Regenerate only for an intended change of the physics. */
export const GOLDEN: Record<string, Array<[number, string]>> = {
  pile: [
    [100, '0x8808e316563b6652'],
    [300, '0x65461d219587d670'],
  ],
  rain: [
    [100, '0x5e0d6d9a3442dcf2'],
    [300, '0x327d963dbaf4a7ac'],
  ],
  walkers: [
    [100, '0xac2afbc905b6c7e6'],
    [300, '0x2866fb056619d985'],
  ],
};
