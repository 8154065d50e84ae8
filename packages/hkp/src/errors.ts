/**
 * An HTTP error with a one-line reason (DESIGN.md §7): the status and the text the client sees.
 * Never 502 (gpg marks the host dead, spec/landscape.md §1.7).
 */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 408 | 413 | 415 | 422 | 429 | 500 | 501 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
