/** `GET /connected`, the page the callback sends the browser to by default. */
import type { ServerResponse } from 'node:http';
import type { LocalRequest } from '../http/router';
import { escapeHtml, sendHtml } from '../http/respond';

/** `GET /connected`: where the callback sends the browser by default; shows `status` (and `error`). */
export function connectedPage(request: LocalRequest, res: ServerResponse): void {
  const status = request.url.searchParams.get('status');
  const error = request.url.searchParams.get('error');
  const heading = status === 'connected' ? 'Connected' : status ? 'Not connected' : 'No status';
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>token-vault: ' + escapeHtml(heading) + '</title></head>',
    '<body>',
    `<h1>${escapeHtml(heading)}</h1>`,
    status === null ? '' : `<p>status: <code>${escapeHtml(status)}</code></p>`,
    error === null ? '' : `<p>error: <code>${escapeHtml(error)}</code></p>`,
    '<p>This page is served by the token-vault local stack.</p>',
    '</body></html>',
  ].join('\n');
  sendHtml(res, 200, html);
}
