/**
 * HKP v2 (draft-ietf-openpgp-hkp-01; docs/hkp.md §12): the route rows of `/pks/v2/`, one file
 * per operation. Rows are tried in order; the last takes whatever the others do not (fallback.ts).
 */
import type { PathRoute } from '../table';
import { byIdentity } from './by-identity';
import { byKeyId } from './by-keyid';
import { byVfingerprint } from './by-vfingerprint';
import { discovery } from './discovery';
import { v2Fallback } from './fallback';
import { keyIndex } from './key-index';
import { prefixLog } from './prefixlog';
import { submitCerts } from './submit';

export { BUNDLE_TYPE } from './bundle';

export const V2_ROUTES: readonly PathRoute[] = [
  { method: 'GET', path: /^\/pks\/v2\/certs\/by-vfingerprint\/(.+)$/, handler: byVfingerprint },
  { method: 'GET', path: /^\/pks\/v2\/certs\/by-keyid\/(.+)$/, handler: byKeyId },
  { method: 'GET', path: /^\/pks\/v2\/certs\/by-identity\/(.+)$/, handler: byIdentity },
  { method: 'GET', path: /^\/pks\/v2\/index\/(.+)$/, handler: keyIndex },
  { method: 'GET', path: /^\/pks\/v2\/prefixlog\/(.+)$/, handler: prefixLog },
  { method: 'POST', path: '/pks/v2/certs', handler: submitCerts },
  { method: 'OPTIONS', path: /^\/pks\/v2(?:\/(.*))?$/, handler: discovery },
  { method: 'ANY', path: /^\/pks\/v2(?:\/(.*))?$/, handler: v2Fallback },
];
