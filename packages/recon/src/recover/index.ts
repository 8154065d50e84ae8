export * from './hashquery-client';
export * from './recoverer';
