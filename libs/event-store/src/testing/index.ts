export { standInEventStoreDb } from './esdb-stand-in';
