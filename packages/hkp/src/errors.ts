/**
 * An HTTP error with a one-line reason (docs/hkp.md §8; the principle: docs/architecture.md §8):
 * the status and the text the client sees. Never 502 (gpg marks the host dead, docs/hkp.md §9).
 */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 408 | 410 | 413 | 415 | 422 | 429 | 500 | 501 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
