export * from './partners';
export * from './recon-peer';
