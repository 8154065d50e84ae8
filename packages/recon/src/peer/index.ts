export * from './partners';
export * from './recon-peer';
export * from './software';
export * from './unobtainable';
