import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import type { ValidationArguments } from 'class-validator';
import { fieldsProblem, ProblemError, type FieldError } from './problem';

/** Trims every string in a parsed body or query, arrays and nested objects included. */
export function trimStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(trimStrings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimStrings(v)]));
  return value;
}

/**
 * Whether a parsed body nests objects and arrays more than `levels` deep. No request of the API
 * nests more than two, and the checks that walk a body recurse: a body of thousands of nested
 * brackets, still under the size limit, would exhaust the stack. So this walk stops at `levels`.
 */
export function nestedDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  return Object.values(value).some((item) => nestedDeeperThan(item, levels - 1));
}

/**
 * C0 controls, DEL and C1 controls, but tab, line feed and carriage return, which text may hold.
 * (U+009B is an escape sequence's start to terminals that read C1, as ESC [ is to all.)
 */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * Every field (as `evidence.0`) whose string holds a control character. No field of the API
 * has a use for one, and a NUL or an escape sequence in a name or a note would reach the staff's
 * screens, exports and logs of other tools as it is.
 */
export function fieldsWithControlCharacters(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return CONTROL_CHARACTER.test(value) ? [path] : [];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => fieldsWithControlCharacters(item, path ? `${path}.${key}` : key));
}

/**
 * The message of a rule on each entry of a list (`{ each: true }`), naming each entry that
 * breaks it, one line each (`previousEmails.0 must be an email address`), where class-validator's
 * own names only the list: fieldErrors makes each line an error whose field is that entry, so that
 * a form can point at every one. `breaks` tells an entry that breaks the rule, as class-validator's
 * check of it does; `rule` may say for each entry what is wrong with it.
 */
export function entryMessage(rule: string | ((entry: unknown) => string), breaks: (entry: unknown) => boolean) {
  return ({ property, value }: ValidationArguments) =>
    Array.isArray(value)
      ? value
          .flatMap((entry, index) => (breaks(entry) ? [`${property}.${index} ${typeof rule === 'string' ? rule : rule(entry)}`] : []))
          .join('\n')
      : `${property} must be an array`;
}

/** The entry of `field` that a message starts with (`previousEmails.2 must be ...`), else `field`. */
function fieldNamed(message: string, field: string): string {
  const named = message.split(' ', 1)[0]!;
  return named.startsWith(`${field}.`) && /^\d+$/.test(named.slice(field.length + 1)) ? named : field;
}

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.entries(error.constraints ?? {});
    const children = fieldErrors(error.children ?? [], field);
    if (!messages.length) return children;
    if (messages.some(([rule]) => rule === 'whitelistValidation')) return [{ field, message: `${field} is not a known field` }, ...children];
    if (error.value === undefined || error.value === null) return [{ field, message: `${field} is required` }, ...children];
    // One message a field, of the first rule it breaks as written (class-validator lists them from
    // the last). A rule on each entry of a list names the entries at fault, a line each (see
    // entryMessage): each such entry is a field of its own, again with the first rule it breaks.
    const byField = new Map<string, string>();
    // A nested field's message names it as its own object does (`primaryEmail must be ...`), and
    // an entry of a list as the list (`accounts must be ...`): each is named as the body does
    // (`accounts.1.primaryEmail`, `accounts.1`).
    const said = /^\d+$/.test(error.property) ? parent.split('.').pop()! : error.property;
    for (const [, message] of messages) {
      for (const line of message.split('\n')) {
        const named = parent && (line.startsWith(`${said} `) || line.startsWith(`${said}.`)) ? `${field}${line.slice(said.length)}` : line;
        byField.set(fieldNamed(named, field), named);
      }
    }
    return [...[...byField].map(([named, message]) => ({ field: named, message })), ...children];
  });
}

/**
 * A query parameter given twice arrives as a list. Unless the query's class declares it a list
 * (`types`), that is refused by name: its type error ("limit must be a whole number") would
 * blame a value the caller may well have written correctly, once. (An unknown parameter is left
 * to the whitelist, which names it as unknown.)
 */
function refuseRepeatedParameters(query: unknown, declared: ArgumentMetadata['metatype']): void {
  if (!query || typeof query !== 'object' || !declared) return;
  const singleValued = (name: string) => ![undefined, Array].includes(Reflect.getMetadata('design:type', declared.prototype, name));
  const repeated = Object.entries(query)
    .filter(([name, value]) => Array.isArray(value) && singleValued(name))
    .map(([name]) => name);
  if (repeated.length) {
    throw new ProblemError(fieldsProblem(repeated.map((field) => ({ field, message: `${field} must be given once` }))));
  }
}

/**
 * A field given as null is left out. class-validator lets null through an optional field's
 * checks, and a handler that told "left out" by `=== undefined` would then read null as a value
 * (`{"assignee": null}` assigned the ticket to the caller over its holder, where leaving the
 * field out claims only a free ticket). A required field given as null is refused by the checks
 * before this runs.
 */
function withoutNullFields(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, field] of Object.entries(value)) if (field === null) delete (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Refuses repeated query parameters by name before class-validator sees them; drops a body's null fields after. */
class ContractValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'query') refuseRepeatedParameters(value, metadata.metatype);
    const checked = await super.transform(value, metadata);
    return metadata.type === 'body' ? withoutNullFields(checked) : checked;
  }
}

/** class-validator with the contract's rules: unknown fields refused, every field error named. */
export function validationPipe(): ValidationPipe {
  return new ContractValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ProblemError(fieldsProblem(fieldErrors(errors))),
  });
}
