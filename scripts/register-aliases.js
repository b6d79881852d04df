// Resolves the `@reclaim/<lib>` path aliases of tsconfig.base.json inside the compiled `dist/`
// tree, since tsc keeps import specifiers as written. Loaded with `node -r` before the app.
const Module = require('node:module');
const path = require('node:path');
const { compilerOptions } = require('../tsconfig.base.json');

const root = path.join(__dirname, '..', 'dist');
const targets = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [file]]) => [
    alias,
    path.join(root, file.replace(/\.ts$/, '.js')),
  ]),
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, targets[request] ?? request, ...rest);
};
