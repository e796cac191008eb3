/** The contract's plain names: no runtime dependencies, so any bundle (k6 included) may import it. */
export * from './datatypes';
export * from './env';
export * from './http';
export * from './image';
export * from './metrics';
