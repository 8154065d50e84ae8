/** The page of a failed request (the status and its one-line reason). */
import { escapeHtml, page, PageContext, searchForm } from './layout';

export function renderErrorPage(ctx: PageContext, status: number, message: string): string {
  return page(ctx, `Error ${status}`, `<h1>Error ${status}</h1>\n<p class="notice">${escapeHtml(message)}</p>\n${searchForm()}`);
}
