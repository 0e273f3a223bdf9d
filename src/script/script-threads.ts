/**
 * Script threads (issue 21): the sandboxes of a world's scripts on N worker threads, one
 * ScriptEngine (QuickJS wasm module) per thread, an object on thread `objectId mod N` for good.
 * The world thread drives them synchronously from inside MainSim.apply: a request is posted on a
 * MessagePort and the world thread blocks (Atomics.wait on a shared flag) until the thread's
 * reply is there (receiveMessageOnPort). A tick is one request per thread that has work (every
 * call of its scripts, then its share of the checkpoint work), all posted before any reply is
 * awaited, so the threads run in parallel; an attach is one more request to its object's thread.
 *
 * Nothing a thread decides depends on timing: each call's inputs are fixed by the world thread,
 * each sandbox lives on one thread, and the results are taken in slot order by WorldScripts, so a
 * world gives the same results on 0 (the world thread), 1 or more script threads.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { compiledScript } from '../physics/wasm';
import type { ScriptSpec } from './engine';
import type { ScriptCommand, ScriptErrorCode, ScriptEvent, ScriptSelfView } from './types';

/** One operation for a script thread (a request is a list of them, done in order). */
export type ThreadOp =
  | { op: 'load'; id: number; spec: ScriptSpec }
  | { op: 'deliver'; id: number; self: ScriptSelfView; events: ScriptEvent[] }
  | { op: 'dispose'; id: number }
  /** Checkpoint: reset every script of the thread (ascending id). */
  | { op: 'reset' }
  /** Build fresh sandboxes for an equal share of the thread's scripts without one; `left` applies before the checkpoint (>= 1). */
  | { op: 'prepare'; left: number };

/** A thread's answer to one op (same index as the request's op). */
export type ThreadReply =
  | { op: 'load'; suspended: { code: ScriptErrorCode; message: string } | null; store: string }
  | { op: 'deliver'; ok: true; commands: ScriptCommand[]; store: string }
  | { op: 'deliver'; ok: false; code: ScriptErrorCode; message: string }
  | { op: 'other' };

/** What a thread sends back for a request: the replies, and its scripts without a fresh sandbox for the next checkpoint. */
export interface ThreadAnswer {
  replies: ThreadReply[];
  toBuild: number;
  error?: string;
}

/** A script whose sandbox lives on a script thread: the world thread's mirror of its store and suspension. */
export class RemoteScript {
  constructor(
    /** Key of the sandbox on its thread (unique per load). */
    readonly id: number,
    /** Thread index (objectId mod threads). */
    readonly thread: number,
    /** Canonical store text after the last successful call (Script.serializeStore). */
    public store: string,
    /** The load's suspension (a source that does not load), or null. */
    readonly suspended: { code: ScriptErrorCode; message: string } | null,
  ) {}

  /** The store's canonical serialized form (the mirror, updated by every successful call). */
  serializeStore(): string {
    return this.store;
  }
}

/** How long the world thread waits for a script thread's answer before it gives up (ms). */
const REPLY_TIMEOUT_MS = 60_000;

interface Thread {
  worker: Worker;
  port: MessagePort;
  /** [0]: 1 when an answer is waiting. */
  flag: Int32Array;
  /** Ops to send with the next request (disposes). */
  queued: ThreadOp[];
  toBuild: number;
}

/** N script threads (WorldScriptOptions.threads). */
export class ScriptThreads {
  private readonly threads: Thread[];
  private nextId = 1;
  private closed = false;

  /**
   * Starts `count` (>= 1) worker threads, each creating its ScriptEngine with `worldSeed` (u32,
   * Math.random's world seed). Throws CORE_NOT_BUILT when build/ has no compiled worker (`npm run build`).
   */
  constructor(
    readonly count: number,
    worldSeed: number,
  ) {
    if (!(Number.isSafeInteger(count) && count >= 1)) throw new RangeError('script threads is an integer >= 1');
    const script = compiledScript(__dirname, 'src/script/script-thread-worker.js');
    this.threads = Array.from({ length: count }, () => {
      const { port1, port2 } = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(script, { workerData: { worldSeed, port: port2, flag }, transferList: [port2] });
      worker.unref();
      port1.unref();
      return { worker, port: port1, flag, queued: [], toBuild: 0 };
    });
  }

  /** Scripts on all threads without a fresh sandbox for the next checkpoint (after the last tick's request). */
  get toBuild(): number {
    return this.threads.reduce((n, t) => n + t.toBuild, 0);
  }

  /** Loads a script on its object's thread (one request): its mirror, suspended when the source does not load. */
  load(spec: ScriptSpec): RemoteScript {
    const thread = spec.objectId % this.count;
    const id = this.nextId++;
    const [r] = this.request(new Map([[thread, [{ op: 'load', id, spec }]]])).get(thread) as ThreadReply[];
    if (r.op !== 'load') throw new Error('script thread: load answered out of order');
    return new RemoteScript(id, thread, r.store, r.suspended);
  }

  /** Frees a script's sandbox (sent with the thread's next request). */
  dispose(s: RemoteScript): void {
    this.threads[s.thread].queued.push({ op: 'dispose', id: s.id });
  }

  /**
   * One tick: `calls` (their results in the same order), and the checkpoint work (`reset`, or
   * `prepare` with the applies left before the checkpoint) on every thread. One request per thread.
   * Successful calls update their script's store mirror.
   */
  run(calls: Array<{ script: RemoteScript; self: ScriptSelfView; events: ScriptEvent[] }>, checkpoint: ThreadOp | null): ThreadReply[] {
    const perThread = new Map<number, ThreadOp[]>();
    const where: Array<[number, number]> = [];
    for (const c of calls) {
      let ops = perThread.get(c.script.thread);
      if (!ops) perThread.set(c.script.thread, (ops = []));
      where.push([c.script.thread, ops.length]);
      ops.push({ op: 'deliver', id: c.script.id, self: c.self, events: c.events });
    }
    if (checkpoint)
      for (let k = 0; k < this.count; k++) {
        let ops = perThread.get(k);
        if (!ops) perThread.set(k, (ops = []));
        ops.push(checkpoint);
      }
    const answers = this.request(perThread);
    return calls.map((c, i) => {
      const [k, j] = where[i];
      const r = (answers.get(k) as ThreadReply[])[j];
      if (r.op === 'deliver' && r.ok) c.script.store = r.store;
      return r;
    });
  }

  /** Stops the threads. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.threads) {
      t.port.close();
      void t.worker.terminate();
    }
  }

  /** Posts every thread's ops (queued first), then waits for each answer: the replies of the ops given, per thread. */
  private request(ops: Map<number, ThreadOp[]>): Map<number, ThreadReply[]> {
    if (this.closed) throw new Error('script threads are closed');
    const sent: Array<[number, number]> = [];
    for (const [k, list] of ops) {
      const t = this.threads[k];
      Atomics.store(t.flag, 0, 0);
      t.port.postMessage([...t.queued, ...list]);
      sent.push([k, t.queued.length]);
      t.queued = [];
    }
    const out = new Map<number, ThreadReply[]>();
    for (const [k, skip] of sent) {
      const t = this.threads[k];
      const until = Date.now() + REPLY_TIMEOUT_MS;
      let m: { message: ThreadAnswer } | undefined;
      for (;;) {
        Atomics.wait(t.flag, 0, 0, 50);
        m = receiveMessageOnPort(t.port) as { message: ThreadAnswer } | undefined;
        if (m) break;
        if (Date.now() > until) throw new Error(`script thread ${k} did not answer in ${REPLY_TIMEOUT_MS} ms`);
      }
      if (m.message.error) throw new Error(`script thread ${k}: ${m.message.error}`);
      t.toBuild = m.message.toBuild;
      out.set(k, m.message.replies.slice(skip));
    }
    return out;
  }
}
