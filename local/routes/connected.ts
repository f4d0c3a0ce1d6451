/** `GET /connected`, the page the callback sends the browser to by default. */
import type { ServerResponse } from 'node:http';
import type { LocalRequest } from '../http/router';
import { escapeHtml, sendHtml } from '../http/respond';

/** `GET /connected`: where the callback sends the browser by default; shows `status` (and `error`). */
export function connectedPage(request: LocalRequest, res: ServerResponse): void {
  const status = request.url.searchParams.get('status');
  const error = request.url.searchParams.get('error');
  const flow = request.url.searchParams.get('flow');
  const heading =
    status === 'connected'
      ? 'Connected'
      : status === 'pending'
        ? 'Almost connected'
        : status
          ? 'Not connected'
          : 'No status';
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>token-vault: ' + escapeHtml(heading) + '</title></head>',
    '<body>',
    `<h1>${escapeHtml(heading)}</h1>`,
    status === null ? '' : `<p>status: <code>${escapeHtml(status)}</code></p>`,
    error === null ? '' : `<p>error: <code>${escapeHtml(error)}</code></p>`,
    // Session binding: here an application's backend would call `complete` with its logged-in user; locally, by hand.
    status !== 'pending' || flow === null
      ? ''
      : `<p>Session binding: complete the flow as the user who called connect (within 5 minutes, once):</p><pre>curl -s -X POST ${escapeHtml(`http://${request.url.host}`)}/2015-03-31/functions/complete/invocations -d '{"flowHandle":"${escapeHtml(flow)}","userId":"USER"}'</pre>`,
    '<p>This page is served by the token-vault local stack.</p>',
    '</body></html>',
  ].join('\n');
  sendHtml(res, 200, html);
}
