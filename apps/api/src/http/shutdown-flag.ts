import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Raised when the app starts to shut down. Answers sent after that ask the client to close its
 * connection, so that a keep-alive socket does not hold the server open until it times out.
 */
@Injectable()
export class ShutdownFlag implements OnModuleDestroy {
  started = false;

  onModuleDestroy(): void {
    this.started = true;
  }
}
