export * from './connection';
export * from './found';
export * from './handshake';
export * from './requester';
export * from './responder';
