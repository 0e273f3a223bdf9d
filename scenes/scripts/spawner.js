// A spawner with a cap (issue 21 example): each touch or a chat line "spawn" drops a ball 1.5 m
// above it, at most CAP balls over its life (counted in the store). The world adds its own cap
// (WorldScriptOptions.spawnLimit live balls per script).
const CAP = 3;
function spawnOne() {
  const n = store.get('spawned') ?? 0;
  if (n >= CAP) return;
  store.set('spawned', n + 1);
  emit.spawn(0, 1500, 0, 0, 0, 0); // mm above the spawner, at rest
  if (n + 1 === CAP) emit.chat('spawner empty');
}
on('touch', () => spawnOne());
on('chat', (e) => {
  if (e.text === 'spawn') spawnOne();
});
