import type { TicketPolicy } from '../ticket/ticket.commands';

/** The engine's settings, from the environment (see the contract's configuration table). */
export interface RecoveryConfig extends TicketPolicy {
  bcryptCost: number;
}

export const RECOVERY_CONFIG = Symbol('RECOVERY_CONFIG');
export const SECRET_BOX = Symbol('SECRET_BOX');
