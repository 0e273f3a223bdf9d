// A door that opens when touched (issue 21 example). The door is a body: "opening" lifts it
// with an upward impulse, and a timer closes it (lets it fall back) 40 ticks later. A touch
// while it is open does nothing. State lives in the store (closure variables restart at checkpoints).
on('touch', (e, self) => {
  if (store.get('open')) return;
  store.set('open', true);
  store.set('opened', (store.get('opened') ?? 0) + 1);
  emit.impulse(0, 4000, 0); // mN·s: 4 N·s up
  emit.timer(40);
  emit.chat('door opens');
});
on('timer', () => {
  store.set('open', false);
  emit.chat('door closes');
});
