export { readModelRows } from './read-model-rows';
