import { readFileSync } from 'node:fs';
import path from 'node:path';

const CAPSULES = path.join(__dirname, '../../../capsules');

/** Modules workflows may import (documented in capsules/README.md). */
const SANDBOX_SAFE = [
  'capsule-schema',
  'persona-schema',
  'guardrails',
  'primitives',
  'diagnostics',
  'errors',
  'graph',
  'template',
  'plan',
  'hash',
  'compiler',
  'resolver',
  'params',
  'coefficients',
  'prices',
  'slm-providers',
  'model-readiness',
  'suggest',
  'trigger-filter',
];
/** Pure-JS packages that need no Node built-ins. */
const ALLOWED_PACKAGES = new Set(['zod', 'semver', '@marcbachmann/cel-js']);

/** Value imports (type-only imports vanish at compile time and are fine). */
function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of source.matchAll(/^import\s+(type\s+)?([\s\S]*?)\s+from\s+'([^']+)';/gm)) {
    if (m[1]) continue;
    const names = m[2]!
      .replace(/[{}]/g, '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    specifiers.push(m[3]!);
  }
  return specifiers;
}

describe('sandbox-safe capsule modules', () => {
  it.each(SANDBOX_SAFE)('%s reaches no Node built-in or I/O package through value imports', (name) => {
    const seen = new Set<string>();
    const offending: string[] = [];
    const visit = (module: string) => {
      if (seen.has(module)) return;
      seen.add(module);
      for (const spec of valueImports(path.join(CAPSULES, `${module}.ts`))) {
        if (spec.startsWith('.'))
          visit(path.relative(CAPSULES, path.join(CAPSULES, path.dirname(module), spec)));
        else if (!ALLOWED_PACKAGES.has(spec)) offending.push(`${module} → ${spec}`);
      }
    };
    visit(name);
    expect(offending).toEqual([]);
  });

  it('detects a forbidden import (the check itself works)', () => {
    expect(valueImports(path.join(CAPSULES, 'library-loader.ts'))).toContain('node:fs/promises');
    expect(valueImports(path.join(CAPSULES, 'parse.ts'))).toContain('./source-map');
    expect(valueImports(path.join(CAPSULES, 'source-map.ts'))).toContain('yaml');
  });
});
