/** Stream names, in one place. */
export const streams = {
  ticket: (ticketId: string) => `ticket-${ticketId}`,
  account: (username: string) => `account-${username}`,
  requests: (username: string) => `requests-${username}`,
  staff: (staffId: string) => `staff-${staffId}`,
  // Not under 'ticket-': that prefix is for ticket streams only.
  ticketNumbers: 'counter-ticket-numbers',
} as const;

export const TICKET_STREAM_PREFIX = 'ticket-';
export const ticketIdOf = (stream: string) => stream.slice(TICKET_STREAM_PREFIX.length);
