export const TICKET_STREAM_PREFIX = 'ticket-';
export const ACCOUNT_STREAM_PREFIX = 'account-';
export const STAFF_STREAM_PREFIX = 'staff-';

/** Stream names, in one place. */
export const streams = {
  ticket: (ticketId: string) => `${TICKET_STREAM_PREFIX}${ticketId}`,
  account: (username: string) => `${ACCOUNT_STREAM_PREFIX}${username}`,
  requests: (username: string) => `requests-${username}`,
  staff: (staffId: string) => `${STAFF_STREAM_PREFIX}${staffId}`,
  adminRoster: 'admin-roster',
  // Not under 'ticket-': that prefix is for ticket streams only.
  ticketNumbers: 'counter-ticket-numbers',
} as const;
