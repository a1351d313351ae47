import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import MarkdownIt from 'markdown-it';

/**
 * `GET /render?content=…&theme=…`: the Web UI shows a run's summary, details and current details
 * (markdown) in a sandboxed iframe pointing here, a route the UI's own server answers. Raw HTML in
 * the markdown is escaped, not passed through (markdown-it's `html: false`), links to `javascript:`
 * and other unsafe schemes are dropped, and the page's CSP allows nothing but its nonce'd style:
 * user-supplied text can never run in the UI's origin.
 */

const markdown = new MarkdownIt({ html: false, linkify: true });
// Links open outside the iframe, without handing the opener or the referrer to the target.
markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  tokens[index]!.attrSet('target', '_blank');
  tokens[index]!.attrSet('rel', 'noopener noreferrer nofollow');
  return self.renderToken(tokens, index, options);
};

/** Plain, readable defaults for rendered markdown; the theme only swaps colours. */
const STYLE = `
body { margin: 0; padding: 4px 8px; font: 14px/1.5 system-ui, sans-serif; color: #18181b; background: transparent; }
body[data-theme='dark'] { color: #f4f4f5; }
a { color: #444ce7; } body[data-theme='dark'] a { color: #a5b4fc; }
code { font-family: ui-monospace, monospace; font-size: 0.9em; padding: 0 3px; border-radius: 3px; background: rgba(127,127,127,0.15); }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid rgba(127,127,127,0.4); padding: 2px 8px; text-align: left; }
p, ul, ol { margin: 4px 0; } ul, ol { padding-left: 20px; }
`;

export function sendMarkdownPage(res: ServerResponse, query: URLSearchParams): void {
  const content = query.get('content') ?? '';
  const theme = query.get('theme') === 'dark' ? 'dark' : 'light';
  const nonce = randomBytes(16).toString('hex');
  const body = markdown.render(content);
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>Rendered Markdown</title>` +
    `<base target="_blank"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<style nonce="${nonce}">${STYLE}</style></head>` +
    `<body data-theme="${theme}"><main>${body}</main></body></html>`;
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy':
      `base-uri 'self'; default-src 'none'; style-src 'nonce-${nonce}'; script-src 'none'; ` +
      `frame-ancestors 'self'; form-action 'none'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox`,
    'Cache-Control': 'no-store',
  });
  res.end(html);
}
