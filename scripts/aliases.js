// Points the `@reclaim/<lib>` path aliases of tsconfig.base.json at files of this checkout for
// Node's require, since tsc and swc keep import specifiers as written. `fileFor` maps a path of
// tsconfig (e.g. ./libs/recovery/src/index.ts) to the file to load.
const Module = require('node:module');
const { compilerOptions } = require('../tsconfig.base.json');

module.exports = function registerAliases(fileFor) {
  const targets = Object.fromEntries(Object.entries(compilerOptions.paths).map(([alias, [file]]) => [alias, fileFor(file)]));
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return resolve.call(this, targets[request] ?? request, ...rest);
  };
};
