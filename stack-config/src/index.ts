export * from './sla';
export * from './schema';
export * from './errors';
export * from './parse';
export * from './load';
export * from './checks';
export * from './price-table';
export * from './cost-estimate';
