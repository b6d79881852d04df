/** Stream names, in one place. */
export const streams = {
  ticket: (ticketId: string) => `ticket-${ticketId}`,
  account: (username: string) => `account-${username}`,
  requests: (username: string) => `requests-${username}`,
  staff: (staffId: string) => `staff-${staffId}`,
  ticketNumbers: 'ticket-numbers',
} as const;

export const TICKET_STREAM_PREFIX = 'ticket-';
export const ticketIdOf = (stream: string) => stream.slice(TICKET_STREAM_PREFIX.length);
