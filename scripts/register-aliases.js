// Loaded with `node -r` before the compiled app: the aliases point into `dist/`.
const path = require('node:path');

require('./aliases')((file) => path.join(__dirname, '..', 'dist', file.replace(/\.ts$/, '.js')));
