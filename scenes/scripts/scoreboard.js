// A scoreboard that counts hits (issue 21 example): every touch is a hit; the total and the
// last body that hit are in the store; every 5th hit is announced on the world channel, and a
// chat line "score" asks for the total.
on('touch', (e) => {
  const hits = (store.get('hits') ?? 0) + 1;
  store.set('hits', hits);
  store.set('last', e.other);
  if (hits % 5 === 0) emit.chat(`hits: ${hits}`);
});
on('chat', (e) => {
  if (e.text === 'score') emit.chat(`hits: ${store.get('hits') ?? 0}`);
});
