/**
 * Hagrid's VKS API v1 (keys.openpgp.org; docs/hkp.md §13): the route rows of `/vks/v1/`, one
 * file per operation; the last row answers everything else.
 */
import type { PathRoute } from '../table';
import { vksByEmail } from './by-email';
import { vksByFingerprint } from './by-fingerprint';
import { vksByKeyId } from './by-keyid';
import { vksFallback } from './fallback';
import { vksRequestVerify } from './request-verify';
import { vksUpload } from './upload';

export const VKS_ROUTES: readonly PathRoute[] = [
  { method: 'GET', path: /^\/vks\/v1\/by-fingerprint\/([^/]+)$/, handler: vksByFingerprint },
  { method: 'GET', path: /^\/vks\/v1\/by-keyid\/([^/]+)$/, handler: vksByKeyId },
  { method: 'GET', path: /^\/vks\/v1\/by-email\/([^/]+)$/, handler: vksByEmail },
  { method: 'POST', path: '/vks/v1/upload', handler: vksUpload, errors: 'json' },
  { method: 'POST', path: '/vks/v1/request-verify', handler: vksRequestVerify, errors: 'json' },
  { method: 'ANY', path: /^\/vks(?:\/.*)?$/, handler: vksFallback },
];
