import { type Command, InvalidArgumentError } from 'commander';
import type { Pool } from 'pg';
import { loadConfig } from '../config';
import { pruneProcessedEvents, queryAuditEvents } from '../consumers';
import { createPool } from '../postgres';
import { outboxStatus, pruneOutbox } from '../relay';

const DURATION_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `30m`, `12h`, `7d` into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)([mhd])$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 30m, 12h or 7d');
  return Number(match[1]) * DURATION_UNITS[match[2] as keyof typeof DURATION_UNITS];
}

async function withPool<T>(work: (pool: Pool) => Promise<T>): Promise<void> {
  const config = loadConfig();
  const pool = createPool({ url: config.DATABASE_URL, max: 1, applicationName: 'somagent-cli' });
  try {
    const result = await work(pool);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await pool.end();
  }
}

/** `somagent outbox ...` and `somagent audit ...`: the event pipeline's operator commands. */
export function registerEventCommands(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('the transactional outbox the relay publishes to Kafka');
  outbox
    .command('status')
    .description('pending rows, age of the oldest, retries, rejected rows and the most frequent errors')
    .action(() => withPool(outboxStatus));
  outbox
    .command('prune')
    .description('delete published outbox rows and processed-event records older than a duration')
    .requiredOption('--older-than <duration>', 'e.g. 7d (keep at least Kafka retention)', parseDuration)
    .action(({ olderThan }: { olderThan: number }) =>
      withPool(async (pool) => {
        const before = new Date(Date.now() - olderThan);
        return {
          before: before.toISOString(),
          outboxRows: await pruneOutbox(pool, { publishedBefore: before }),
          processedEventRecords: await pruneProcessedEvents(pool, { before }),
        };
      }),
    );

  const audit = program.command('audit').description('the audit store (gate decisions and audited actions)');
  audit
    .command('query')
    .description('audit events, oldest first, one page at a time (pass --cursor from the last page)')
    .option('--run <workflowId>', 'the run (subject) the events are about')
    .option('--tenant <tenant>')
    .option('--decision <decision>', 'allow, review or deny')
    .option('--type <type>', 'event type, e.g. gate.decision')
    .option('--from <time>', 'ISO-8601, inclusive')
    .option('--to <time>', 'ISO-8601, exclusive')
    .option('--limit <n>', '1 to 1000 (default 100)')
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action((options: Record<string, string | undefined>) =>
      withPool((pool) =>
        queryAuditEvents(pool, {
          subject: options.run,
          tenant: options.tenant,
          decision: options.decision as 'allow' | 'review' | 'deny' | undefined,
          type: options.type,
          from: options.from,
          to: options.to,
          limit: options.limit,
          cursor: options.cursor,
        }),
      ),
    );
}
