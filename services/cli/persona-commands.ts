import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parsePersona, personaHash } from '../../capsules';
import {
  out,
  publishReporting,
  registerRegistryQueries,
  reportDiagnostics,
  withRegistry,
} from './capsule-commands';

/** `somagent persona ...`: validate, publish, list, show and deprecate persona templates. */
export function registerPersonaCommands(program: Command): void {
  const persona = program.command('persona').description('persona templates: validate, publish, list, show');

  persona
    .command('validate')
    .description('check persona template files')
    .argument('<files...>', 'persona files (YAML or JSON)')
    .action(async (files: string[]) => {
      for (const file of files) {
        const parsed = parsePersona(await readFile(file, 'utf8'), { file });
        if (!reportDiagnostics(parsed.diagnostics) && parsed.value) {
          out(`${file}: ok ${parsed.value.id}@${parsed.value.version} (${personaHash(parsed.value)})`);
        }
      }
    });

  persona
    .command('publish')
    .description('publish persona template versions to the registry')
    .argument('<files...>', 'persona files')
    .option('--by <name>', 'who publishes (recorded with the version)')
    .action(async (files: string[], options: { by?: string }) => {
      await withRegistry(async (registry) => {
        for (const file of files) {
          const text = await readFile(file, 'utf8');
          const parsed = parsePersona(text, { file });
          if (reportDiagnostics(parsed.diagnostics) || !parsed.value) continue;
          await publishReporting(file, () =>
            registry.publishPersona(parsed.value, {
              source: text,
              ...(options.by && { publishedBy: options.by }),
            }),
          );
        }
      });
    });

  registerRegistryQueries(persona, 'persona');
}
