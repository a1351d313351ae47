import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createBudgetStore } from '../../activities/budget/budget-store';
import { formatBytes, MAX_INPUT_FILE_BYTES } from '../../workflows/shared/run-inputs';
import { loadConfig } from '../config';
import { decodeUtf8, prunePayloadBlobs, putFileBlob } from '../payloads';
import { createPool } from '../postgres';
import { createRedis } from '../redis';

function parseLimit(value: string): number | null {
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`limit: expected a non-negative amount in USD (e.g. 25.50) or "none", got "${value}"`);
  }
  return n;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--older-than-days: expected a whole number ≥ 1, got "${value}"`);
  return n;
}

async function withRedis<T>(work: (redis: ReturnType<typeof createRedis>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: 'somagent-cli',
  });
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** `somagent budget show|set` and `somagent payloads put|prune`. */
export function registerExecutionCommands(program: Command): void {
  const budget = program.command('budget').description('tenant SLM budgets (Redis)');
  budget
    .command('show <tenant>')
    .description('print limit, spent, reserved and remaining USD of a tenant')
    .action(async (tenant: string) => {
      print(await withRedis((redis) => createBudgetStore({ redis }).state({ tenant })));
    });
  budget
    .command('set <tenant> <limit>')
    .description('set the tenant limit in USD ("none" removes it); spending so far is kept')
    .action(async (tenant: string, limit: string) => {
      const limitUsd = parseLimit(limit);
      print(await withRedis((redis) => createBudgetStore({ redis }).setLimit({ tenant, limitUsd })));
    });

  const payloads = program.command('payloads').description('large Temporal payloads kept in Postgres');
  payloads
    .command('put <file>')
    .description(
      'store a text file for run inputs; prints its ref for { "path": "...", "ref": "<ref>" } in a run\'s "files"',
    )
    .action(async (file: string) => {
      const bytes = await readFile(file);
      if (bytes.byteLength > MAX_INPUT_FILE_BYTES) {
        throw new Error(
          `${file} has ${bytes.byteLength} bytes, more than the ${formatBytes(MAX_INPUT_FILE_BYTES)} limit per input file`,
        );
      }
      if (decodeUtf8(bytes) === undefined)
        throw new Error(`${file} is not UTF-8 text; input files are text files`);
      const config = loadConfig();
      const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
      try {
        print({ file, ...(await putFileBlob({ pool, content: bytes })) });
      } finally {
        await pool.end();
      }
    });
  payloads
    .command('prune')
    .description('delete stored payloads older than the history retention (keep a margin!)')
    .requiredOption('--older-than-days <days>', 'age in days; must exceed namespace retention + longest run')
    .action(async (options: { olderThanDays: string }) => {
      const days = parseDays(options.olderThanDays);
      const config = loadConfig();
      const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
      try {
        const deleted = await prunePayloadBlobs({
          pool,
          olderThan: new Date(Date.now() - days * 86_400_000),
        });
        print({ deleted, olderThanDays: days });
      } finally {
        await pool.end();
      }
    });
}
