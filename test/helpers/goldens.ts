/** Golden world hashes of the determinism scenes: scene -> [tick, hash]; shared by the core and shard tests. Regenerate only for an intended change of the physics. */
export const GOLDEN: Record<string, Array<[number, string]>> = {
  pile: [
    [100, '0xef1975a3ae732c74'],
    [300, '0xee05e43c0ee35f3c'],
  ],
  rain: [
    [100, '0x1ab2400ceee42882'],
    [300, '0xe9e51fd21a7577a9'],
  ],
  walkers: [
    [100, '0xd7c3c191343a04de'],
    [300, '0x947cec443ea76598'],
  ],
};
