/** @type {import('jest').Config} */
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [file]]) => [
    `^${alias}$`,
    `<rootDir>/${file.replace(/^\.\//, '')}`,
  ]),
);

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/state-machines', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  moduleNameMapper,
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // NestJS 12 (and its `cookie` dependency), otplib's @scure/@noble plugins @fastify/static's content-disposition and the eventsource test client ship ES modules only: let swc turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie|@scure|@noble|content-disposition|eventsource|eventsource-parser)/)'],
  testTimeout: 30000,
};
