import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JwksConfigError, loadJwks, mergeJwks } from '../../../services/auth';
import { parseDuration, parseSince } from '../../../services/constitution';

describe('parseSince', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  it('reads relative windows and ISO timestamps', () => {
    expect(parseSince('7d', now).toISOString()).toBe('2026-01-08T12:00:00.000Z');
    expect(parseSince('12h', now).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-01-15T11:30:00.000Z');
    expect(parseSince('2w', now).toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(parseSince('2026-01-01T00:00:00Z', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
  it('names the accepted forms for anything else', () => {
    expect(() => parseSince('yesterday', now)).toThrow(/30m, 12h, 7d, 2w or an ISO-8601/);
  });
});

describe('parseDuration', () => {
  it('reads m/h/d/w and rejects anything else', () => {
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(() => parseDuration('2026-01-01')).toThrow(/30m, 12h, 7d or 2w/);
  });
});

describe('loadJwks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jwks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts JSON text or a file path', async () => {
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] };
    expect(loadJwks(JSON.stringify(jwks))).toEqual(jwks);
    const file = path.join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify(jwks));
    expect(loadJwks(file)).toEqual(jwks);
  });

  it('explains what is wrong', () => {
    expect(() => loadJwks(path.join(dir, 'missing.json'))).toThrow(JwksConfigError);
    expect(() => loadJwks('{"keys": 1}')).toThrow(/expected a JWKS object/);
    expect(() => loadJwks('{oops')).toThrow(/not valid JSON/);
  });

  it('merges key sets without duplicate kids', () => {
    const a = { kty: 'OKP', kid: 'a', x: '1' };
    const b = { kty: 'OKP', kid: 'b', x: '2' };
    expect(mergeJwks({ keys: [a] }, { keys: [{ ...a, x: '3' }, b] })).toEqual({ keys: [a, b] });
  });
});
