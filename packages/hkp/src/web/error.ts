/** The page of a failed request (the status and its one-line reason). */
import { isolate, page, PageContext, searchForm } from './layout';

/** Bidi formatting characters (embeddings, overrides, isolates, marks) a reason may quote from a request. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The reason may quote what the request sent (a search): it is isolated, and the bidi controls
 * in it are shown as code points, so a quoted override cannot reorder the rest of the sentence.
 */
export function renderErrorPage(ctx: PageContext, status: number, message: string): string {
  const shown = message.replace(BIDI_CONTROLS, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
  return page(ctx, `Error ${status}`, `<h1>Error ${status}</h1>\n<p class="notice">${isolate(shown)}</p>\n${searchForm()}`);
}
