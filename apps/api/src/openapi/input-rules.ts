import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject, ParameterObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { INSTANT } from '../http/patterns';

type Constraints = any[];

/**
 * The class-validator rules that JSON Schema can say, as the keywords that say them. Rules it
 * cannot (a custom check, a regular expression with flags) are left to the 400 that names them.
 */
const KEYWORDS: Record<string, (constraints: Constraints) => SchemaObject | undefined> = {
  matches: ([pattern]) => ((pattern as RegExp).flags ? undefined : { pattern: (pattern as RegExp).source }),
  isLength: ([min, max]) => ({ minLength: min, ...(max !== undefined && { maxLength: max }) }),
  minLength: ([min]) => ({ minLength: min }),
  maxLength: ([max]) => ({ maxLength: max }),
  // Ours (`@IsEmailAddress`, `@EachEmail`): an address, with no invisible character or space.
  isEmailAddress: () => ({ format: 'email' }),
  isUrl: () => ({ format: 'uri' }),
  arrayMinSize: ([min]) => ({ minItems: min }),
  arrayMaxSize: ([max]) => ({ maxItems: max }),
  arrayUnique: () => ({ uniqueItems: true }),
  isIn: ([values]) => ({ enum: values }),
  isInt: () => ({ type: 'integer' }),
  min: ([min]) => ({ minimum: min }),
  max: ([max]) => ({ maximum: max }),
  // Ours (`@IsInstant`): its pattern, less the calendar check that refuses 2026-02-30.
  isInstant: () => ({ pattern: INSTANT.source }),
};

/**
 * Says in the document the rules the DTOs enforce (lengths, patterns, sizes, ranges), taken from
 * the class-validator decorators themselves, so that a client generated from it checks what the
 * server will check, and the two cannot drift apart: on each body's schema, and on each
 * operation's query and path parameters.
 */
export function withInputRules(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const operations = new Map(Object.values(document.paths).flatMap((item) => (Object.values(item) as OperationObject[]).map((operation) => [operation.operationId, operation] as const)));
  for (const { operationId, inputs } of controllerMethods(app)) {
    const parameters = (operations.get(operationId)?.parameters ?? []) as ParameterObject[];
    for (const input of inputs) {
      const body = schemas[input.name]?.properties;
      for (const [field, keywords] of rulesOf(input)) {
        if (body?.[field]) body[field] = withKeywords(body[field] as SchemaObject, keywords);
        const parameter = parameters.find(({ name }) => name === field);
        if (parameter?.schema) parameter.schema = withKeywords(parameter.schema as SchemaObject, keywords);
      }
    }
  }
  return document;
}

/** Each route method, by the operationId the document gives it, with the classes it takes. */
function controllerMethods(app: INestApplication): Array<{ operationId: string; inputs: Function[] }> {
  return [...app.get(ModulesContainer).values()].flatMap((module) =>
    [...module.controllers.values()].flatMap(({ metatype }) => {
      const prototype = (metatype as Function).prototype as object;
      return Object.getOwnPropertyNames(prototype).map((method) => ({
        operationId: `${(metatype as Function).name}_${method}`,
        inputs: ((Reflect.getMetadata('design:paramtypes', prototype, method) ?? []) as unknown[]).filter((type): type is Function => typeof type === 'function'),
      }));
    }),
  );
}

interface FieldKeywords {
  own: SchemaObject;
  /** Of each item (`{ each: true }`). */
  items: SchemaObject;
}

/** Each field's rules, as keywords. */
function rulesOf(input: Function): Map<string, FieldKeywords> {
  const storage = getMetadataStorage();
  const rules = new Map<string, FieldKeywords>();
  for (const rule of storage.getTargetValidationMetadatas(input, '', true, false)) {
    // Decorators such as @MaxLength are custom validations by name.
    const name = rule.type === 'customValidation' ? storage.getTargetValidatorConstraints(rule.constraintCls as Function)[0]?.name : rule.type;
    const keywords = name ? KEYWORDS[name]?.(rule.constraints ?? []) : undefined;
    if (!keywords) continue;
    const field = rules.get(rule.propertyName) ?? { own: {}, items: {} };
    Object.assign(rule.each ? field.items : field.own, keywords);
    rules.set(rule.propertyName, field);
  }
  return rules;
}

function withKeywords(schema: SchemaObject, { own, items }: FieldKeywords): SchemaObject {
  return { ...schema, ...own, ...(schema.items && Object.keys(items).length ? { items: { ...(schema.items as SchemaObject), ...items } } : {}) };
}
