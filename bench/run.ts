import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm run bench [filter]`: runs every `bench/*.bench.ts` in turn (or those whose name contains
 * the filter). Each bench module exports `default async function (): Promise<void>` and prints
 * its own numbers; benches run one at a time so they do not compete for the machine's two cores.
 */
async function main(): Promise<void> {
  const filter = process.argv[2] ?? '';
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
    .sort();
  if (files.length === 0) throw new Error(`no bench/*.bench.ts matches "${filter}"`);
  for (const file of files) {
    process.stdout.write(`\n## ${file.replace('.bench.ts', '')}\n`);
    const mod = (await import(path.join(__dirname, file))) as { default: () => Promise<void> };
    await mod.default();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
