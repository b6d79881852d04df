// Lets a process started by a test or a benchmark run the TypeScript sources directly: .ts files are
// compiled by swc on load (as jest does), and `@reclaim/<lib>` aliases point at the sources.
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

require('./aliases')((file) => path.join(__dirname, '..', file));
Module._extensions['.ts'] = function (module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...require('./swc-options'), filename, sourceMaps: 'inline' });
  module._compile(code, filename);
};
