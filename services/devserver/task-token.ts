import { InvalidArgumentError } from './errors';

/** What a task token identifies: a workflow task, an activity attempt, or a legacy query. */
export type TaskToken =
  | { k: 'w'; ns: string; r: string; s: number; a: number }
  | { k: 'a'; ns: string; r: string; s: number; a: number }
  | { k: 'q'; ns: string; r: string; q: string };

/** Mints an opaque, non-empty token (JSON inside; clients must not look into it). */
export function encodeTaskToken(token: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(token));
}

/** Parses a token; anything malformed is INVALID_ARGUMENT (never retried by the SDK). */
export function decodeTaskToken(bytes: unknown, kind: TaskToken['k']): TaskToken {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new InvalidArgumentError('taskToken is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError('taskToken is malformed: not a token issued by this devserver');
  }
  const token = parsed as Partial<TaskToken> | null;
  if (!token || token.k !== kind || typeof token.ns !== 'string' || typeof token.r !== 'string') {
    throw new InvalidArgumentError(
      'taskToken is malformed: not a token issued by this devserver for this call',
    );
  }
  return token as TaskToken;
}
