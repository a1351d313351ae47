import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  apiKeyFromConfig,
  clientConnectionOptions,
  ConfigError,
  fileApiKey,
  loadConfig,
  nativeConnectionOptions,
  redactConfig,
} from '../../../services/config';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'somagent-temporal-key-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal connection options', () => {
  it('defaults to no token, no TLS and auth off', () => {
    const config = loadConfig({});
    expect(config.TEMPORAL_AUTH).toBe('off');
    expect(clientConnectionOptions(config)).toEqual({ address: '127.0.0.1:7233', tls: false });
    expect(nativeConnectionOptions(config, undefined)).toEqual({ address: '127.0.0.1:7233', tls: false });
  });

  it('sends TEMPORAL_API_KEY with TLS left off unless TEMPORAL_TLS is true, and never prints the key', () => {
    const config = loadConfig({ TEMPORAL_API_KEY: 'tok-123', TEMPORAL_ADDRESS: 'temporal:7233' });
    const options = clientConnectionOptions(config);
    expect(options.tls).toBe(false);
    expect(options.apiKey?.()).toBe('tok-123');
    expect(nativeConnectionOptions(config, apiKeyFromConfig(config))).toEqual({
      address: 'temporal:7233',
      tls: false,
      apiKey: 'tok-123',
    });
    expect(clientConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'x', TEMPORAL_TLS: 'true' })).tls).toBe(
      true,
    );
    expect(JSON.stringify(redactConfig(config))).not.toContain('tok-123');
  });

  it('rejects TEMPORAL_AUTH values other than off and jwt', () => {
    expect(() => loadConfig({ TEMPORAL_AUTH: 'basic' })).toThrow(/TEMPORAL_AUTH.*expected off or jwt/s);
  });

  it('refuses both TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE, and an unreadable or empty file', () => {
    const file = path.join(dir, 'both.jwt');
    writeFileSync(file, 'a');
    expect(() => apiKeyFromConfig({ TEMPORAL_API_KEY: 'a', TEMPORAL_API_KEY_FILE: file })).toThrow(
      ConfigError,
    );
    expect(() => apiKeyFromConfig({ TEMPORAL_API_KEY_FILE: path.join(dir, 'missing') })).toThrow(
      /TEMPORAL_API_KEY_FILE: cannot read/,
    );
    const empty = path.join(dir, 'empty.jwt');
    writeFileSync(empty, '\n');
    expect(() => apiKeyFromConfig({ TEMPORAL_API_KEY_FILE: empty })).toThrow(/is empty/);
  });

  it('re-reads TEMPORAL_API_KEY_FILE when it changes and tells listeners; keeps the last good token', async () => {
    const file = path.join(dir, 'rotating.jwt');
    writeFileSync(file, 'first\n');
    const key = fileApiKey(file, 20);
    try {
      expect(key.current()).toBe('first');
      const seen: string[] = [];
      key.onChange((token) => seen.push(token));
      const changed = new Promise<void>((resolve) => key.onChange(() => resolve()));
      // A later mtime, so stat polling notices even on coarse file systems.
      await new Promise((r) => setTimeout(r, 30));
      writeFileSync(file, 'second\n');
      await changed;
      expect(key.current()).toBe('second');
      expect(seen).toEqual(['second']);
      writeFileSync(file, '');
      await new Promise((r) => setTimeout(r, 120));
      expect(key.current()).toBe('second');
    } finally {
      key.close();
    }
  });
});
