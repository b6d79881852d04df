import type { TicketView } from './ticket-view';

/**
 * The queues whose size the tickets projector keeps counted, each as the condition on a stored
 * row that lists it (`ticket_views`) and the same condition on a view, side by side so that they
 * stay one rule. `mine` is not among them: it is counted per viewer when asked, in its index.
 */
export const COUNTED_QUEUES = {
  submitted: { where: "state = 'submitted'", holds: (view: TicketView) => view.state === 'submitted' },
  // What waits for staff and no one has taken: the work to pick from.
  unclaimed: { where: "state = 'submitted' AND assignee IS NULL", holds: (view: TicketView) => view.state === 'submitted' && !view.assignee },
  'awaiting-info': { where: "state = 'awaiting-info'", holds: (view: TicketView) => view.state === 'awaiting-info' },
  overdue: { where: "state = 'submitted' AND overdue = 1", holds: (view: TicketView) => view.state === 'submitted' && view.overdue },
  'high-priority': { where: "open = 1 AND priority = 'high'", holds: (view: TicketView) => !view.decision && view.priority === 'high' },
  verified: { where: "state = 'verified'", holds: (view: TicketView) => view.state === 'verified' },
  rejected: { where: "state = 'rejected'", holds: (view: TicketView) => view.state === 'rejected' },
} as const;

export type CountedQueue = keyof typeof COUNTED_QUEUES;

/** The counted queues that list a ticket. */
export function countedQueuesOf(view: TicketView): CountedQueue[] {
  return (Object.keys(COUNTED_QUEUES) as CountedQueue[]).filter((queue) => COUNTED_QUEUES[queue].holds(view));
}
