export * from './sla';
export * from './schema';
export * from './errors';
export * from './load';
