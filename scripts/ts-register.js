// Lets a process started by a test or a benchmark run the TypeScript sources directly: .ts files are
// compiled by swc on load (as jest does), and `@reclaim/<lib>` aliases point at the sources.
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');
const { compilerOptions } = require('../tsconfig.base.json');

const root = path.join(__dirname, '..');
const targets = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [file]]) => [alias, path.join(root, file)]),
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, targets[request] ?? request, ...rest);
};
Module._extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(require('node:fs').readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
