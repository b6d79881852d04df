export * from './recovery-ticket.machine';
export * from './lifecycle-diagram';
