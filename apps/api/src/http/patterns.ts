import { isEmail, isISO8601, Length, Matches, matches, ValidateBy } from 'class-validator';
import { entryMessage } from './validation';

/** Shapes of identifiers, in one place. */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A `username` field (body, path or query): the one shape, with the one message. */
export const IsUsername = () => Matches(USERNAME, { message: 'username must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit' });
/** npm-style package names, scoped or not. */
export const PACKAGE = /^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]{0,213}$/;
/** Each entry of a list is a package name; each that is not is named (`packages.2`). */
export const EachPackage = () => Matches(PACKAGE, { each: true, message: entryMessage('must be a package name', (entry) => !matches(entry as string, PACKAGE)) });
/**
 * Characters that class-validator's email check lets through and no address holds: invisible ones
 * (zero-width, bidirectional controls, the byte order mark, a soft hyphen) and spaces other than
 * ASCII's. With them one address shows as another on a staff member's screen (U+202E turns the
 * rest around), where a recovery turns on telling the requester's address from the account's.
 */
const INVISIBLE_OR_SPACE = /[\p{Cf}\p{Z}]/u;

/** Half of a surrogate pair, alone: JSON carries it, no address (nor UTF-8) holds it. */
const LONE_SURROGATE = /\p{Cs}/u;

/** What keeps `value` from being an email address, in words; undefined when it is one. */
function notAnAddress(value: unknown): string | undefined {
  // The email check throws on a lone surrogate (it encodes the value as a URI), so it never sees one.
  if (typeof value !== 'string' || LONE_SURROGATE.test(value) || !isEmail(value)) return 'must be an email address';
  const hidden = INVISIBLE_OR_SPACE.exec(value)?.[0];
  return hidden && `must not hold an invisible character or a space (it holds U+${hidden.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

const isEmailAddress = { name: 'isEmailAddress', validator: { validate: (value: unknown) => !notAnAddress(value) } };
/** An email address (`contactEmail`, `primaryEmail`). */
export const IsEmailAddress = () => ValidateBy(isEmailAddress, { message: ({ property, value }) => `${property} ${notAnAddress(value)}` });
/** Each entry of a list is an email address; each that is not is named (`emails.2`). */
export const EachEmail = () =>
  ValidateBy(isEmailAddress, { each: true, message: entryMessage((entry) => notAnAddress(entry)!, (entry) => notAnAddress(entry) !== undefined) });
/** Six digits, also as authenticator apps show them, in two groups of three (`123 456`). */
export const TOTP_CODE = /^\d{3}[ -]?\d{3}$/;
export const ID = /^[A-Za-z0-9-]{1,64}$/;
/** A field naming a staff member (an assignee, a holder, a path's id), with the one message. */
export const IsStaffId = () => Matches(ID, { message: '$property must be a staff id' });
/** A global position of the log, as the API writes it: the store's own shape, shared with the CLI. */
export { POSITION } from '@reclaim/event-store';

/**
 * A text field (already trimmed): not empty, at most `max` characters. The message says which of
 * the two is wrong, in words, where class-validator's own says "longer than or equal to 1 characters".
 */
export const IsText = (max: number) =>
  Length(1, max, { message: ({ property, value }) => (value === '' ? `${property} must not be empty` : `${property} must be at most ${max} characters`) });

/**
 * A moment as RFC 3339 writes it (ISO-8601 with its offset), or a date (its start, in UTC).
 * ISO-8601's other forms are refused, not guessed: week and ordinal dates, the basic format and a
 * comma before the fraction, which JavaScript takes for invalid dates (a look into the past then
 * showed the present), and a time without an offset, which means whatever zone its writer was in.
 */
export const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
export const IsInstant = () =>
  ValidateBy({
    name: 'isInstant',
    validator: {
      // The strict check refuses what the pattern lets through but no calendar has (2026-02-30, 24:00).
      validate: (value) => typeof value === 'string' && INSTANT.test(value) && isISO8601(value, { strict: true }),
      defaultMessage: (args) => `${args?.property} must be a time with its offset, such as 2026-11-27T14:00:00Z or 2026-11-27T15:00:00+01:00, or a date such as 2026-11-27`,
    },
  });
