/**
 * A script thread (script-threads.ts): one ScriptEngine, the sandboxes of the objects assigned to
 * it, keyed by the world thread's load id. Each request (a list of ThreadOp) is done in order and
 * answered with one ThreadAnswer, then the shared flag is set and notified.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { type Script, ScriptEngine } from './engine';
import type { ThreadAnswer, ThreadOp, ThreadReply } from './script-threads';

const { worldSeed, port, flag } = workerData as { worldSeed: number; port: MessagePort; flag: Int32Array };
const engine = ScriptEngine.create(worldSeed);
/** Sandboxes by load id; a Map iterates in insertion order, so `sorted()` orders by id. */
const scripts = new Map<number, Script>();

const sorted = (): Script[] => [...scripts.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);

function get(id: number): Script {
  const s = scripts.get(id);
  if (!s) throw new Error(`no script ${id} on this thread`);
  return s;
}

async function handle(ops: ThreadOp[]): Promise<ThreadAnswer> {
  const e = await engine;
  const replies: ThreadReply[] = [];
  for (const o of ops) {
    if (o.op === 'load') {
      const s = e.load(o.spec);
      scripts.set(o.id, s);
      replies.push({ op: 'load', suspended: s.suspended, store: s.serializeStore() });
    } else if (o.op === 'deliver') {
      const s = get(o.id);
      const r = s.deliver(o.self, o.events);
      replies.push(
        r.ok ? { op: 'deliver', ok: true, commands: r.commands, store: s.serializeStore() } : { op: 'deliver', ok: false, code: r.code, message: r.message },
      );
    } else if (o.op === 'dispose') {
      scripts.get(o.id)?.dispose();
      scripts.delete(o.id);
      replies.push({ op: 'other' });
    } else if (o.op === 'reset') {
      for (const s of sorted()) s.reset();
      replies.push({ op: 'other' });
    } else {
      const todo = sorted().filter((s) => !s.resetReady);
      const share = Math.ceil(todo.length / o.left);
      for (let i = 0; i < share; i++) todo[i].prepareReset();
      replies.push({ op: 'other' });
    }
  }
  let toBuild = 0;
  for (const s of scripts.values()) if (!s.resetReady) toBuild++;
  return { replies, toBuild };
}

port.on('message', (ops: ThreadOp[]) => {
  void handle(ops)
    .catch((err: unknown): ThreadAnswer => ({ replies: [], toBuild: 0, error: err instanceof Error ? err.message : String(err) }))
    .then((answer) => {
      port.postMessage(answer);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
