import { AccountsProjector } from './accounts/accounts.projector';
import { StaffActivityProjector } from './activity/staff-activity.projector';
import type { Projector } from './projector';
import { StaffProjector } from './staff/staff.projector';
import { TicketsProjector } from './tickets/tickets.projector';

/** Every read model of the product. */
export function allProjectors(): Projector[] {
  return [new TicketsProjector(), new StaffProjector(), new AccountsProjector(), new StaffActivityProjector()];
}
