import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config';
import { clientKey } from './client-key';
import { ClientRateLimiter } from './client-rate-limiter';
import { problem, ProblemError } from './problem';

/** The per-client-address limits of the public routes (an IPv6 client by its /64: `clientKey`). */
@Injectable()
export class ClientLimits {
  private readonly submissions: ClientRateLimiter;
  private readonly codeAttempts: ClientRateLimiter;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.submissions = new ClientRateLimiter([config.submissionLimit]);
    this.codeAttempts = new ClientRateLimiter([config.clientCodeAttemptLimit]);
  }

  submission(client: string): void {
    check(this.submissions.take(clientKey(client)), 'new tickets from this address');
  }

  codeAttempt(client: string, evidence: { recoveryCode?: string; totpCode?: string }): void {
    if (evidence.recoveryCode || evidence.totpCode) check(this.codeAttempts.take(clientKey(client)), 'code attempts from this address');
  }
}

function check(verdict: { allowed: true } | { allowed: false; retryAfterSeconds: number }, what: string): void {
  if (verdict.allowed) return;
  throw new ProblemError(problem(429, `Too many ${what}. Retry after ${verdict.retryAfterSeconds} seconds.`), {
    'retry-after': String(verdict.retryAfterSeconds),
  });
}
