// How swc compiles the TypeScript sources, for jest and for processes started from the sources:
// legacy decorators with metadata, as NestJS and tsc's experimentalDecorators expect.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};
