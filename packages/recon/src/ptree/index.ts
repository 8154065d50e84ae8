export * from './node';
export * from './prefix-tree';
export * from './hooks';
