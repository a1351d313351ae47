import type { Pool } from 'pg';
import semver from 'semver';
import type { Capsule } from '../capsule-schema';
import {
  defaultCoefficients,
  learnFromRun,
  type ForecastCoefficients,
  type StepUsage,
} from '../coefficients';
import { compileCapsule } from '../compiler';
import type { Diagnostic } from '../diagnostics';
import { CapsuleValidationError, ImmutableVersionError, ReferenceNotFoundError } from '../errors';
import { contentHash } from '../hash';
import { validateCapsuleObject, validatePersonaObject } from '../parse';
import type { Persona } from '../persona-schema';
import { BUILTIN_TOOLS, splitReference } from '../primitives';
import type { ReferenceResolver, Resolved } from '../resolver';

/**
 * The capsule and persona registry in Postgres. Versions are immutable; ranges resolve to the
 * highest non-deprecated version (an exact version still resolves when deprecated, so pinned
 * runs keep working). NOT sandbox-safe: activities, services and the CLI use it.
 */

export type DocumentKind = 'capsule' | 'persona';

export interface PublishResult {
  kind: DocumentKind;
  id: string;
  version: string;
  hash: string;
  /** `unchanged`: this exact content was already published under this version. */
  status: 'published' | 'unchanged';
  /** Compiler warnings (capsules only). */
  warnings: Diagnostic[];
}

export interface VersionRecord<T> {
  kind: DocumentKind;
  id: string;
  version: string;
  hash: string;
  document: T;
  source?: string;
  publishedAt: Date;
  publishedBy?: string;
  deprecated?: { at: Date; reason: string };
}

export interface ListEntry {
  kind: DocumentKind;
  id: string;
  /** Highest non-deprecated version (or highest overall when every version is deprecated). */
  latest: string;
  title: string;
  /** Capsule type; undefined for personas. */
  type?: string;
  versions: string[];
  /** Every version is deprecated. */
  deprecated: boolean;
}

export interface PublishOptions {
  /** The text as written, kept alongside the validated document. */
  source?: string;
  publishedBy?: string;
}

export interface RegistryOptions {
  pool: Pool;
  /** Tools workers provide beyond the built-ins (for compile checks at publish time). */
  tools?: readonly string[];
}

interface Row {
  id: string;
  version: string;
  content_hash: string;
  document: unknown;
  source: string | null;
  published_at: Date;
  published_by: string | null;
  deprecated_at: Date | null;
  deprecation_reason: string | null;
}

const TABLE = {
  capsule: { table: 'capsule_versions', key: 'capsule_id', label: 'title' },
  persona: { table: 'persona_versions', key: 'persona_id', label: 'name' },
} as const;

/** Creates the registry over an injected pool (search_path must include the somagent schema). */
export function createCapsuleRegistry({ pool, tools = [] }: RegistryOptions) {
  const knownTools = new Set<string>([...BUILTIN_TOOLS, ...tools]);

  async function versionsOf(kind: DocumentKind, id: string): Promise<Row[]> {
    const t = TABLE[kind];
    const { rows } = await pool.query<Row>(
      `SELECT ${t.key} AS id, version, content_hash, document, source, published_at, published_by,
              deprecated_at, deprecation_reason
         FROM ${t.table} WHERE ${t.key} = $1`,
      [id],
    );
    return rows.sort((a, b) => semver.rcompare(a.version, b.version));
  }

  function toRecord<T>(kind: DocumentKind, row: Row): VersionRecord<T> {
    return {
      kind,
      id: row.id,
      version: row.version,
      hash: row.content_hash,
      document: row.document as T,
      ...(row.source !== null && { source: row.source }),
      publishedAt: row.published_at,
      ...(row.published_by !== null && { publishedBy: row.published_by }),
      ...(row.deprecated_at !== null && {
        deprecated: { at: row.deprecated_at, reason: row.deprecation_reason ?? '' },
      }),
    };
  }

  /** The version a reference selects, or undefined. */
  async function pick(kind: DocumentKind, ref: string): Promise<Row | undefined> {
    const { id, range } = splitReference(ref);
    const rows = await versionsOf(kind, id);
    const exact = semver.valid(range);
    if (exact !== null) return rows.find((r) => r.version === exact);
    const live = rows.filter((r) => r.deprecated_at === null).map((r) => r.version);
    const best = semver.maxSatisfying(live, range);
    return best === null ? undefined : rows.find((r) => r.version === best);
  }

  async function insert(
    kind: DocumentKind,
    id: string,
    version: string,
    document: unknown,
    label: string,
    type: string | undefined,
    options: PublishOptions,
  ): Promise<{ hash: string; status: PublishResult['status'] }> {
    const hash = contentHash(document);
    const t = TABLE[kind];
    const columns = kind === 'capsule' ? ', type' : '';
    const values = kind === 'capsule' ? ', $8' : '';
    const params: unknown[] = [
      id,
      version,
      hash,
      JSON.stringify(document),
      options.source ?? null,
      label,
      options.publishedBy ?? null,
    ];
    if (kind === 'capsule') params.push(type);
    // ON CONFLICT DO NOTHING makes concurrent publishes of one version race-free: exactly one
    // insert wins, and everyone else compares hashes with the winner.
    const inserted = await pool.query(
      `INSERT INTO ${t.table} (${t.key}, version, content_hash, document, source, ${t.label}, published_by${columns})
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7${values})
       ON CONFLICT (${t.key}, version) DO NOTHING`,
      params,
    );
    if (inserted.rowCount === 1) return { hash, status: 'published' };
    const { rows } = await pool.query<{ content_hash: string }>(
      `SELECT content_hash FROM ${t.table} WHERE ${t.key} = $1 AND version = $2`,
      [id, version],
    );
    const existing = rows[0]!.content_hash;
    if (existing !== hash) throw new ImmutableVersionError(kind, id, version, existing, hash);
    return { hash, status: 'unchanged' };
  }

  const registry = {
    /**
     * Publishes a capsule version (a `Capsule` or any object to validate) after validating it and compiling it against the registry
     * (every persona and nested capsule it references must already be published).
     * @throws CapsuleValidationError when the document is invalid or does not compile
     * @throws ImmutableVersionError when the version exists with different content
     */
    async publishCapsule(capsule: unknown, options: PublishOptions = {}): Promise<PublishResult> {
      const parsed = validateCapsuleObject(capsule, `registry:${describe(capsule)}`);
      if (!parsed.value) throw new CapsuleValidationError(parsed.diagnostics);
      const doc = parsed.value;
      const compiled = await compileCapsule(doc, { resolver: registry.asResolver(), source: parsed.source });
      if (!compiled.plan) throw new CapsuleValidationError(compiled.diagnostics);
      const { hash, status } = await insert(
        'capsule',
        doc.id,
        doc.version,
        doc,
        doc.title,
        doc.type,
        options,
      );
      return {
        kind: 'capsule',
        id: doc.id,
        version: doc.version,
        hash,
        status,
        warnings: compiled.diagnostics.filter((d) => d.severity === 'warning'),
      };
    },

    /**
     * Publishes a persona template version.
     * @throws CapsuleValidationError / ImmutableVersionError as for capsules
     */
    async publishPersona(persona: unknown, options: PublishOptions = {}): Promise<PublishResult> {
      const parsed = validatePersonaObject(persona, `registry:${describe(persona)}`);
      if (!parsed.value) throw new CapsuleValidationError(parsed.diagnostics);
      const doc = parsed.value;
      const { hash, status } = await insert(
        'persona',
        doc.id,
        doc.version,
        doc,
        doc.name,
        undefined,
        options,
      );
      return { kind: 'persona', id: doc.id, version: doc.version, hash, status, warnings: [] };
    },

    /** The record a reference (`id@range`) selects; undefined when none matches. */
    async show<T = Capsule | Persona>(
      kind: DocumentKind,
      ref: string,
    ): Promise<VersionRecord<T> | undefined> {
      const row = await pick(kind, ref);
      return row ? toRecord<T>(kind, row) : undefined;
    },

    /**
     * The latest non-deprecated version of every capsule whose triggers include an event trigger
     * for `eventType` (an older version's trigger does not count once a newer one drops it).
     */
    async eventTriggered(eventType: string): Promise<Array<VersionRecord<Capsule>>> {
      const { rows: live } = await pool.query<{ id: string; version: string; listens: boolean }>(
        `SELECT capsule_id AS id, version, document->'triggers' @> $1::jsonb AS listens
           FROM capsule_versions WHERE deprecated_at IS NULL`,
        [JSON.stringify([{ type: 'event', event: eventType }])],
      );
      const latest = new Map<string, { version: string; listens: boolean }>();
      for (const row of live) {
        const seen = latest.get(row.id);
        if (!seen || semver.gt(row.version, seen.version)) latest.set(row.id, row);
      }
      const picked = [...latest].filter(([, v]) => v.listens);
      if (picked.length === 0) return [];
      const { rows } = await pool.query<Row>(
        `SELECT capsule_id AS id, version, content_hash, document, source, published_at, published_by,
                deprecated_at, deprecation_reason
           FROM capsule_versions
          WHERE (capsule_id, version) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          ORDER BY capsule_id`,
        [picked.map(([id]) => id), picked.map(([, v]) => v.version)],
      );
      return rows.map((r) => toRecord<Capsule>('capsule', r));
    },

    /** Every published version of an id, newest first. */
    async versions(kind: DocumentKind, id: string): Promise<Array<VersionRecord<unknown>>> {
      return (await versionsOf(kind, id)).map((r) => toRecord(kind, r));
    },

    /** One entry per id, sorted by id. */
    async list(kind: DocumentKind, { includeDeprecated = false } = {}): Promise<ListEntry[]> {
      const t = TABLE[kind];
      const { rows } = await pool.query<{
        id: string;
        version: string;
        label: string;
        type: string | null;
        deprecated: boolean;
      }>(
        `SELECT ${t.key} AS id, version, ${t.label} AS label, ${kind === 'capsule' ? 'type' : 'NULL::text AS type'},
                deprecated_at IS NOT NULL AS deprecated
           FROM ${t.table} ORDER BY ${t.key}`,
      );
      const byId = new Map<string, typeof rows>();
      for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
      const entries: ListEntry[] = [];
      for (const [id, versions] of byId) {
        versions.sort((a, b) => semver.rcompare(a.version, b.version));
        const live = versions.filter((v) => !v.deprecated);
        if (live.length === 0 && !includeDeprecated) continue;
        const latest = live[0] ?? versions[0]!;
        entries.push({
          kind,
          id,
          latest: latest.version,
          title: latest.label,
          ...(latest.type !== null && { type: latest.type }),
          versions: versions.map((v) => v.version),
          deprecated: live.length === 0,
        });
      }
      return entries;
    },

    /**
     * Marks a version deprecated: ranges stop resolving to it, exact pins still do. Idempotent
     * (the first reason and time are kept).
     * @throws ReferenceNotFoundError when the version does not exist
     */
    async deprecate(kind: DocumentKind, id: string, version: string, reason: string): Promise<void> {
      const t = TABLE[kind];
      const { rowCount } = await pool.query(
        `UPDATE ${t.table} SET deprecated_at = COALESCE(deprecated_at, now()),
                deprecation_reason = COALESCE(deprecation_reason, $3)
          WHERE ${t.key} = $1 AND version = $2`,
        [id, version, reason],
      );
      if (rowCount === 0)
        throw new ReferenceNotFoundError(kind, `${id}@${version}`, 'no such version is published');
    },

    /** The registry as the compiler's reference resolver. */
    asResolver(): ReferenceResolver {
      const resolve = async <T>(kind: DocumentKind, ref: string): Promise<Resolved<T> | undefined> => {
        const row = await pick(kind, ref);
        return row
          ? { value: row.document as T, source: { file: `registry:${row.id}@${row.version}` } }
          : undefined;
      };
      return {
        resolveCapsule: (ref) => resolve<Capsule>('capsule', ref),
        resolvePersona: (ref) => resolve<Persona>('persona', ref),
        hasTool: (id) => knownTools.has(id),
      };
    },

    /** Learned forecast coefficients for a scope (defaults until runs are recorded). */
    async loadCoefficients(scope = 'global'): Promise<ForecastCoefficients> {
      const { rows } = await pool.query<{ coefficients: ForecastCoefficients }>(
        'SELECT coefficients FROM forecast_coefficients WHERE scope = $1',
        [scope],
      );
      return rows[0]?.coefficients ?? defaultCoefficients();
    },

    /**
     * Folds a finished run's per-step usage into the scope's coefficients. Row-locked so
     * concurrent runs never lose each other's updates.
     */
    async recordUsage(
      steps: readonly StepUsage[],
      { scope = 'global', alpha = 0.2 } = {},
    ): Promise<ForecastCoefficients> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO forecast_coefficients (scope, coefficients) VALUES ($1, $2::jsonb) ON CONFLICT (scope) DO NOTHING`,
          [scope, JSON.stringify(defaultCoefficients())],
        );
        const { rows } = await client.query<{ coefficients: ForecastCoefficients }>(
          'SELECT coefficients FROM forecast_coefficients WHERE scope = $1 FOR UPDATE',
          [scope],
        );
        const next = learnFromRun(rows[0]!.coefficients, steps, alpha);
        await client.query(
          'UPDATE forecast_coefficients SET coefficients = $2::jsonb, runs = runs + 1, updated_at = now() WHERE scope = $1',
          [scope, JSON.stringify(next)],
        );
        await client.query('COMMIT');
        return next;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
  return registry;
}

export type CapsuleRegistry = ReturnType<typeof createCapsuleRegistry>;

function describe(doc: unknown): string {
  if (doc !== null && typeof doc === 'object') {
    const { id, version } = doc as { id?: unknown; version?: unknown };
    if (typeof id === 'string') return `${id}@${typeof version === 'string' ? version : '?'}`;
  }
  return '<document>';
}
