/**
 * Server-rendered web pages: search, results, key, upload, upload result, stats, errors. Plain
 * HTML and one stylesheet, readable on a phone, no client script; every dynamic string is escaped.
 */
export { escapeHtml } from './layout';
export type { PageContext } from './layout';
export { renderSearchPage, renderIndexPage } from './search';
export { renderVindexPage } from './vindex';
export type { SigLine, SigList, VerboseKey } from './vindex';
export { renderKeyPage } from './key';
export { renderUploadPage, renderUploadResult } from './upload';
export type { UploadedKey, UploadSummary } from './upload';
export { renderStatsPage } from './stats';
export { renderErrorPage } from './error';
export { STYLESHEET } from './style';
