/**
 * An email address as addresses are compared everywhere (an account's own list, a request against
 * the account's record, finding tickets by address): without case, as mail systems do.
 */
export const addressKey = (address: string): string => address.toLowerCase();
