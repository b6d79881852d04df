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
    '^.+\\.(t|j|mj)s$': ['@swc/jest', require('./scripts/swc-options')],
  },
  // These ship ES modules only, which jest cannot require on Node 20: NestJS 12 and its `cookie`,
  // otplib's @scure/@noble plugins, @fastify/static's content-disposition, the eventsource client.
  // swc turns them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie|@scure|@noble|content-disposition|eventsource|eventsource-parser)/)'],
  testTimeout: 30000,
};
