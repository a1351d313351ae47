import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { JwksConfigError } from './errors';

/**
 * Reads a JWKS given as JSON text (starts with `{`) or as a path to a JSON file — the two forms
 * `AUTH_JWKS` accepts.
 *
 * @throws {JwksConfigError} saying which form was tried and what is wrong.
 */
export function loadJwks(value: string): JSONWebKeySet {
  const trimmed = value.trim();
  const fromFile = !trimmed.startsWith('{');
  let text = trimmed;
  if (fromFile) {
    try {
      text = readFileSync(trimmed, 'utf8');
    } catch (err) {
      throw new JwksConfigError(`AUTH_JWKS: cannot read JWKS file "${trimmed}"`, { cause: err });
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new JwksConfigError(`AUTH_JWKS: ${fromFile ? `file "${trimmed}"` : 'value'} is not valid JSON`, {
      cause: err,
    });
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    !Array.isArray((parsed as { keys?: unknown }).keys) ||
    !(parsed as { keys: unknown[] }).keys.every((k) => k !== null && typeof k === 'object')
  ) {
    throw new JwksConfigError('AUTH_JWKS: expected a JWKS object {"keys": [{...}, ...]}');
  }
  return parsed as JSONWebKeySet;
}

/** Merges key sets, dropping later keys whose `kid` is already present. */
export function mergeJwks(...sets: readonly JSONWebKeySet[]): JSONWebKeySet {
  const seen = new Set<string>();
  const keys = [];
  for (const set of sets) {
    for (const key of set.keys) {
      if (key.kid !== undefined && seen.has(key.kid)) continue;
      if (key.kid !== undefined) seen.add(key.kid);
      keys.push(key);
    }
  }
  return { keys };
}
