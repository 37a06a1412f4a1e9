/**
 * One etcd watch stream per Store.watch(), driven by hand rather than through etcd3's Watcher: it
 * needs to see the compaction answer (→ 'Gone'), and to resume after a broken connection from
 * exactly the revision after the last event it delivered, so nothing is lost or repeated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, IEvent, IWatchResponse } from 'etcd3';
import { Channel } from './channel.js';
import { storeErrorFrom } from './etcd-client.js';
import { StoreError, type WatchEvent } from './types.js';

export interface EtcdWatchRequest {
  key: Buffer;
  rangeEnd: Buffer;
  /** The first revision to deliver. */
  startRevision: bigint;
  /** Ends the watch: the caller's signal, or the store closing. */
  signals: AbortSignal[];
  /** Turns an etcd event into a store event; undefined skips it. */
  decode(event: IEvent): WatchEvent | undefined;
}

/** How long the watch keeps reconnecting to an unreachable etcd before it fails with 'Unavailable'. */
const GIVE_UP_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 2_000;

export async function* watchEtcd(client: Etcd3, request: EtcdWatchRequest): AsyncGenerator<WatchEvent> {
  const stop = AbortSignal.any(request.signals);
  let next = request.startRevision;
  let failingSince: number | undefined;
  let backoff = 100;
  while (!stop.aborted) {
    const responses = new Channel<IWatchResponse>();
    const end = () => responses.end();
    stop.addEventListener('abort', end);
    let stream: WatchStream | undefined;
    try {
      stream = await client.watchClient.watch();
      stream
        .on('data', (r) => responses.push(r))
        .on('error', (e) => responses.fail(e))
        .on('end', () => responses.fail(new Error('etcd closed the watch stream')));
      stream.write({
        create_request: {
          key: request.key,
          range_end: request.rangeEnd,
          start_revision: next.toString(),
          // The previous value is the object a DELETED event carries.
          prev_kv: true,
          // Lets `next` advance while no matching key changes, so a quiet watch can still resume
          // after other keys' history was compacted.
          progress_notify: true,
        },
      });
      for (let res = await responses.take(); res; res = await responses.take()) {
        if (res.canceled) {
          if (res.compact_revision && res.compact_revision !== '0') {
            throw new StoreError(
              'Gone',
              `cannot watch from resourceVersion ${next - 1n}: etcd compacted its history up to ` +
                `${res.compact_revision}; list again and watch from the list's resourceVersion`,
            );
          }
          throw new StoreError('Unavailable', `etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`);
        }
        failingSince = undefined;
        backoff = 100;
        if (res.created) continue;
        if (res.events.length === 0) {
          const progress = BigInt(res.header.revision) + 1n;
          if (progress > next) next = progress;
          continue;
        }
        for (const event of res.events) {
          next = BigInt(event.kv.mod_revision) + 1n;
          const decoded = request.decode(event);
          if (decoded) yield decoded;
          if (stop.aborted) return;
        }
      }
      return;
    } catch (err) {
      if (err instanceof StoreError) throw err;
      if (stop.aborted) return;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > GIVE_UP_AFTER_MS) throw storeErrorFrom(err, 'watching');
      await sleep(backoff, undefined, { signal: stop }).catch(() => undefined);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    } finally {
      stop.removeEventListener('abort', end);
      closeStream(stream);
    }
  }
}

type WatchStream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

function closeStream(stream: WatchStream | undefined): void {
  if (!stream) return;
  // Half-close first: etcd3 counts an error on a still-writable stream against the host's health
  // and resets every connection to it, which would break the other watches.
  stream.on('error', () => undefined);
  try {
    stream.end();
    stream.cancel();
  } catch {
    // the client is already closed
  }
}
