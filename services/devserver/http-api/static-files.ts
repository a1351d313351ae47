import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

/**
 * Serves a built single-page app (index.html + assets) from a directory: a file if it exists,
 * else index.html (client-side routes), never anything outside the directory.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Hashed build output (SvelteKit's `_app/immutable`) never changes under its name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export type StaticLookup = { file: string; size: number; fallback: boolean } | { refused: 400 | 404 };

/**
 * The file a URL path names inside `root` (absolute, resolved). Percent-decodes once; refuses
 * dot segments, backslashes, NUL and anything resolving outside the root.
 */
export async function resolveStatic(root: string, rawPath: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { refused: 400 };
  }
  if (!decoded.startsWith('/') || decoded.startsWith('//') || /[\\\0]/.test(decoded)) return { refused: 400 };
  const segments = decoded.slice(1).split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { refused: 400 };
  const target = path.resolve(root, ...segments);
  if (target !== root && !target.startsWith(root + path.sep)) return { refused: 400 };
  const found = await fileAt(target);
  if (found !== undefined) return { file: target, size: found, fallback: false };
  const index = path.join(root, 'index.html');
  const indexSize = await fileAt(index);
  return indexSize === undefined ? { refused: 404 } : { file: index, size: indexSize, fallback: true };
}

async function fileAt(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a resolved file (body omitted for HEAD). */
export function sendStatic(
  res: ServerResponse,
  root: string,
  found: { file: string; size: number; fallback: boolean },
  head: boolean,
): void {
  const relative = path.relative(root, found.file).split(path.sep).join('/');
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': found.size,
    'Cache-Control': relative.startsWith('_app/immutable/') ? IMMUTABLE : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
