// The demo scene's door (scenes/demo.json): a hinged door of about 41 kg. A touch swings it open
// with a push of 20 N·s across it (the hinge's motor closes it again); touches in the next 40
// ticks do not push again. Openings are counted in the store.
on('touch', () => {
  if (store.get('open')) return;
  store.set('open', true);
  store.set('opened', (store.get('opened') ?? 0) + 1);
  emit.impulse(0, 0, -20000); // mN·s
  emit.timer(40);
});
on('timer', () => {
  store.set('open', false);
});
