import { status } from '@grpc/grpc-js';
import type { OperatorService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../services/logger';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../workflows/shared/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

/** A search attribute to register: its name and SDK type name (`KEYWORD`, `INT`, …). */
export interface SearchAttributeDefinition {
  name: string;
  type: string;
}

/** Why registering the platform's search attributes failed; the message says how to fix it. */
export class SearchAttributeRegistrationError extends Error {
  override readonly name = 'SearchAttributeRegistrationError';
}

function indexedValueType(type: string): temporal.api.enums.v1.IndexedValueType {
  const value = IndexedValueType[`INDEXED_VALUE_TYPE_${type}` as keyof typeof IndexedValueType];
  if (typeof value !== 'number') {
    throw new SearchAttributeRegistrationError(
      `search attribute type ${type} has no Temporal IndexedValueType`,
    );
  }
  return value;
}

function typeName(value: temporal.api.enums.v1.IndexedValueType | null | undefined): string {
  return (IndexedValueType[value ?? 0] ?? String(value)).replace(/^INDEXED_VALUE_TYPE_/, '');
}

function manualFix(namespace: string, definitions: readonly SearchAttributeDefinition[]): string {
  return definitions
    .map(
      (d) =>
        `temporal operator search-attribute create --namespace ${namespace} --name ${d.name} --type ${d.type}`,
    )
    .join('; ');
}

/**
 * Registers the custom search attributes SomaGent's workflows set (`SomagentTenant`, …) on the
 * worker's namespace, so a real Temporal cluster accepts them (it rejects unregistered keys on
 * start and upsert). Idempotent: attributes already registered with the right type are left
 * alone, and ALREADY_EXISTS from a worker racing this one counts as success once a re-read shows
 * the right type. An attribute registered with another type, or a server that refuses the call,
 * is an error naming the attribute and the manual command. Returns the names it added.
 */
export async function registerSearchAttributes({
  operatorService,
  namespace,
  logger,
  definitions = SEARCH_ATTRIBUTE_DEFINITIONS,
}: {
  operatorService: OperatorService;
  namespace: string;
  logger: Logger;
  definitions?: readonly SearchAttributeDefinition[];
}): Promise<string[]> {
  const wrongType = (registered: Record<string, temporal.api.enums.v1.IndexedValueType>): void => {
    for (const d of definitions) {
      const existing = registered[d.name];
      if (existing !== undefined && existing !== indexedValueType(d.type)) {
        throw new SearchAttributeRegistrationError(
          `search attribute ${d.name} is registered on namespace ${namespace} as ${typeName(existing)}, ` +
            `but SomaGent's workflows set it as ${d.type}: remove it (temporal operator search-attribute ` +
            `remove --namespace ${namespace} --name ${d.name}) and restart the worker`,
        );
      }
    }
  };
  const list = async () => {
    try {
      return (await operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    } catch (err) {
      throw new SearchAttributeRegistrationError(
        `listing search attributes of namespace ${namespace} failed (${(err as Error).message}); ` +
          `register them by hand: ${manualFix(namespace, definitions)}`,
        { cause: err },
      );
    }
  };

  const registered = await list();
  wrongType(registered);
  const missing = definitions.filter((d) => registered[d.name] === undefined);
  if (missing.length === 0) return [];
  try {
    await operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((d) => [d.name, indexedValueType(d.type)])),
    });
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED) {
      // Registering is an admin call; a worker's token usually holds only "<namespace>:write".
      throw new SearchAttributeRegistrationError(
        `search attributes ${missing.map((d) => d.name).join(', ')} are missing on namespace ${namespace} ` +
          `and this worker may not add them (${(err as Error).message}): register them once with an ` +
          `admin token (permissions "${namespace}:admin"), e.g. ${manualFix(namespace, missing)}, ` +
          'or start this worker once with such a TEMPORAL_API_KEY',
        { cause: err },
      );
    }
    if (code !== status.ALREADY_EXISTS) {
      throw new SearchAttributeRegistrationError(
        `registering search attributes ${missing.map((d) => d.name).join(', ')} on namespace ${namespace} ` +
          `failed (${(err as Error).message}); register them by hand: ${manualFix(namespace, missing)}`,
        { cause: err },
      );
    }
    // Another worker registered (some of) them meanwhile: fine once all exist with our types.
    const now = await list();
    wrongType(now);
    const still = missing.filter((d) => now[d.name] === undefined);
    if (still.length > 0) {
      throw new SearchAttributeRegistrationError(
        `registering search attributes on namespace ${namespace} answered ALREADY_EXISTS, but ` +
          `${still.map((d) => d.name).join(', ')} are still missing; register them by hand: ${manualFix(namespace, still)}`,
        { cause: err },
      );
    }
  }
  logger.info({ namespace, added: missing.map((d) => d.name) }, 'search attributes registered');
  return missing.map((d) => d.name);
}
