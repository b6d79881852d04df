/** Domain refusals, each mapped to one HTTP status in one place (apps/api problem filter). */

/** The lifecycle does not allow this command in the current state of its ticket (or staff member) (409). */
export class TransitionNotAllowed extends Error {
  constructor(readonly command: string, readonly state: string, why?: string, subject = 'the ticket') {
    super(`${command} is not allowed while ${subject} is ${state}${why ? `: ${why}` : ''}`);
    this.name = 'TransitionNotAllowed';
  }
}

/**
 * A verification refused (409): access to the account was restored through another ticket of
 * the same username since this one was filed, or is being restored (`verified` false).
 */
export class RecoveredElsewhere extends Error {
  constructor(readonly through: { ticketNumber: number; verified: boolean }) {
    super(
      through.verified
        ? `access to the account was restored through ticket ${through.ticketNumber}, filed under the same username, since this ticket was filed`
        : `a verification of ticket ${through.ticketNumber}, filed under the same username, is being recorded`,
    );
    this.name = 'RecoveredElsewhere';
  }
}

/** A claim on a ticket that another staff member holds (409): taking it over is an assignment by name. */
export class AlreadyAssigned extends Error {
  constructor(readonly holder: string) {
    super(`the ticket is assigned to ${holder}`);
    this.name = 'AlreadyAssigned';
  }
}

/** Deactivating this admin, or giving them another role, would leave no active admin, and so no one to manage staff (409). */
export class LastAdmin extends Error {
  constructor(readonly staffId: string) {
    super(`${staffId} is the last active admin`);
    this.name = 'LastAdmin';
  }
}

/** No such ticket, account or staff member (404). */
export class NotFound extends Error {
  constructor(readonly what: string) {
    super(`${what} was not found`);
    this.name = 'NotFound';
  }
}

/** The client's If-Match revision is not the current one (412). */
export class StaleRevision extends Error {
  constructor(readonly expected: bigint, readonly actual: bigint, readonly what = 'ticket') {
    super(`the ${what} is at revision ${actual}, not ${expected}`);
    this.name = 'StaleRevision';
  }
}

/** Too many attempts (429); retryAfterSeconds tells when to come back. */
export class TooManyAttempts extends Error {
  constructor(readonly retryAfterSeconds: number, what = 'code attempts') {
    super(`too many ${what}; retry after ${retryAfterSeconds} s`);
    this.name = 'TooManyAttempts';
  }
}

/** A command that is well-formed but names something that cannot be (422), e.g. an unknown assignee. */
export class InvalidCommand extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'InvalidCommand';
  }
}

/**
 * A code that was checked good is refused when it comes to be recorded on the account: another
 * ticket used it first, or the account's codes or TOTP secret were replaced since the check.
 * The ticket's evidence records which (`outcome`).
 */
export class CodeRefused extends InvalidCommand {
  constructor(field: 'recoveryCode' | 'totpCode', readonly outcome: 'already-used' | 'replayed' | 'rejected') {
    super(field, `the code is refused: ${outcome}`);
    this.name = 'CodeRefused';
  }
}

/**
 * A retry asks again for a secret whose first answer was lost, but a later command has replaced
 * that secret since (409): it is not this command's to show or to replace any more. Or (`key`)
 * the secret was sealed with a secret key that was lost and replaced since, and opens no more.
 */
export class SecretReplaced extends Error {
  constructor(
    readonly what: string,
    readonly by: 'request' | 'key' = 'request',
  ) {
    super(by === 'key' ? `the ${what} this request issued was sealed with a secret key replaced since` : `the ${what} this request issued has been replaced since by another request`);
    this.name = 'SecretReplaced';
  }
}
