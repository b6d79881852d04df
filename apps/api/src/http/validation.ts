import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { problem, ProblemError, type FieldError } from './problem';

/** Trims every string in a parsed body or query, arrays and nested objects included. */
export function trimStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(trimStrings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimStrings(v)]));
  return value;
}

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // One message a field: "required" when it is missing, else the first rule it breaks.
    const messages = Object.entries(error.constraints ?? {});
    const own = messages.length
      ? [{
          field,
          message: messages.some(([rule]) => rule === 'whitelistValidation')
            ? `${field} is not a known field`
            : error.value === undefined || error.value === null
              ? `${field} is required`
              : messages[messages.length - 1]![1],
        }]
      : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/** class-validator with the contract's rules: unknown fields refused, every field error named. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => {
      const list = fieldErrors(errors);
      return new ProblemError(
        problem(400, `Invalid ${[...new Set(list.map((e) => e.field))].join(', ')}.`, { type: 'validation', errors: list }),
      );
    },
  });
}
