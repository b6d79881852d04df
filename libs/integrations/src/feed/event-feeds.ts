import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { setMaxListeners } from 'node:events';

/**
 * Open streams a credential may hold at once. An integrator needs one or two (one per consumer);
 * each stream holds a subscription that polls the store, so streams opened in a loop and never
 * closed would otherwise cost the server without bound.
 */
export const STREAMS_PER_CREDENTIAL = 10;

/**
 * The open SSE streams: counted per credential, and ended first thing at shutdown so that
 * closing the server does not wait on them.
 */
@Injectable()
export class EventFeeds implements OnModuleDestroy {
  private readonly shutdown = new AbortController();
  private readonly openByHolder = new Map<string, number>();

  constructor() {
    // Every open stream listens for the shutdown: past ten streams, Node would otherwise warn of
    // a leak that is none. Their number is bounded per credential instead.
    setMaxListeners(Infinity, this.shutdown.signal);
  }

  get signal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** Counts a stream for `holder`, and answers how to let it go (once); undefined when at the limit. */
  open(holder: string): (() => void) | undefined {
    const open = this.openByHolder.get(holder) ?? 0;
    if (open >= STREAMS_PER_CREDENTIAL) return undefined;
    this.openByHolder.set(holder, open + 1);
    return () => {
      const left = this.openByHolder.get(holder)! - 1;
      if (left) this.openByHolder.set(holder, left);
      else this.openByHolder.delete(holder);
    };
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
