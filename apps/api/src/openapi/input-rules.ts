import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject, ParameterObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

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
  isEmail: () => ({ format: 'email' }),
  isUrl: () => ({ format: 'uri' }),
  arrayMinSize: ([min]) => ({ minItems: min }),
  arrayMaxSize: ([max]) => ({ maxItems: max }),
  arrayUnique: () => ({ uniqueItems: true }),
  isIn: ([values]) => ({ enum: values }),
  isInt: () => ({ type: 'integer' }),
  min: ([min]) => ({ minimum: min }),
  max: ([max]) => ({ maximum: max }),
};

/**
 * Says in the document the rules the DTOs enforce (lengths, patterns, sizes, ranges), taken from
 * the class-validator decorators themselves, so that a client generated from it checks what the
 * server will check, and the two cannot drift apart: on each body's schema, and on each
 * operation's query and path parameters.
 */
export function withInputRules(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const operations = new Map<string, OperationObject>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as OperationObject[]) if (operation?.operationId) operations.set(operation.operationId, operation);
  }
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const prototype = (metatype as { prototype: object }).prototype;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const inputs = ((Reflect.getMetadata('design:paramtypes', prototype, method) ?? []) as unknown[]).filter((type): type is Function => typeof type === 'function');
        const operation = operations.get(`${(metatype as Function).name}_${method}`);
        for (const input of inputs) {
          const rules = rulesOf(input);
          const body = schemas[input.name];
          for (const [field, keywords] of rules) {
            if (body?.properties?.[field]) body.properties[field] = withKeywords(body.properties[field] as SchemaObject, keywords);
            const parameter = operation?.parameters?.find((candidate) => (candidate as ParameterObject).name === field) as ParameterObject | undefined;
            if (parameter?.schema) parameter.schema = withKeywords(parameter.schema as SchemaObject, keywords);
          }
        }
      }
    }
  }
  return document;
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
