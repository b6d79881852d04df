import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/** The open SSE streams, ended first thing at shutdown so that closing the server does not wait on them. */
@Injectable()
export class EventFeeds implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  get signal(): AbortSignal {
    return this.shutdown.signal;
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
