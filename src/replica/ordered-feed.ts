/**
 * One JetStream ordered consumer read in a loop (the world log's follow, jetstream-log.ts, and
 * the data stream's, data-stream.ts): every message of `stream` from sequence `fromSeq` on, in
 * order, now and as they are appended (an ordered consumer: after a reconnect JetStream
 * redelivers from the last one seen), until stop(). A throw from `onMessage` or from the consumer
 * ends the feed and goes to `onError` (not after stop()).
 */
import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';

/** Starts the feed (module comment); rejects when the consumer cannot be made. */
export async function orderedFeed(
  js: JetStreamClient,
  stream: string,
  fromSeq: number,
  onMessage: (m: JsMsg) => void,
  onError: (e: Error) => void,
): Promise<{ stop(): void }> {
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, fromSeq) });
  const messages = await consumer.consume();
  let stopped = false;
  void (async () => {
    try {
      for await (const m of messages) {
        if (stopped) break;
        onMessage(m);
      }
    } catch (e) {
      if (!stopped) onError(e as Error);
    } finally {
      stopped = true;
      await messages.close().catch(() => undefined);
    }
  })();
  return {
    stop(): void {
      stopped = true;
      void messages.close().catch(() => undefined);
    },
  };
}
