export * from './recovery-codes';
export * from './totp';
export * from './attempt-limits';
export * from './secret-box';
export * from './secret-key';
export * from './secret-key-check';
export * from './tokens';
