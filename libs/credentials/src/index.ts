export * from './recovery-codes';
export * from './totp';
export * from './attempt-limits';
export * from './secret-box';
export * from './tokens';
