import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { CompiledConstitution, TrustStore, VerifiedConstitution } from '../../constitution';
import { loadCurrentConstitution, verifyConstitutionUpdate } from '../../services/constitution';
import type { EventEnvelope } from '../../services/events';

/** What one `apply` / `refreshFromStore` call did. */
export type ReloadResult =
  | { status: 'applied'; version: number; hash: string; previousVersion: number }
  | { status: 'ignored'; version: number; reason: string };

/**
 * Holds the constitution a worker's gate evaluates against. It only ever moves forward: every
 * version it installs was verified against the worker's own trust store and is newer than the
 * one it replaces, whichever path brought it (start-up load, `constitution.updated` event, poll).
 */
export interface ConstitutionHolder {
  /** The compiled version in force, or null before anything was published (the gate then denies). */
  current(): CompiledConstitution | null;
  /** Version number in force (0 = none). */
  readonly version: number;
  /** `sha256:` hash of the version in force, or null. */
  readonly hash: string | null;
  /**
   * Loads the version in force from Postgres (signature re-verified) and, when `pollIntervalMs`
   * is set, starts polling the store so a worker without Kafka still converges.
   *
   * @throws {ConstitutionSignatureError} when the stored version does not verify: a worker must
   *   not start gating on a tampered or untrusted constitution.
   */
  start(): Promise<ReloadResult>;
  /**
   * Hot reload from a `constitution.updated` event: installs the signed version it carries when
   * it verifies and is newer; replays and older versions (rollbacks) are ignored with the reason.
   * An event without the signed document makes the holder read the version in force from the
   * store instead.
   *
   * @throws {ConstitutionSignatureError} for a tampered or untrusted update (nothing changes).
   */
  apply(update: EventEnvelope): Promise<ReloadResult>;
  /** Reads the version in force from Postgres and installs it when newer (the poll fallback). */
  refreshFromStore(): Promise<ReloadResult>;
  /** Stops the poll timer. */
  stop(): void;
}

export interface ConstitutionHolderDeps {
  pool: Pool;
  trustStore: TrustStore;
  logger: Logger;
  /** Poll the store this often, in milliseconds; 0 disables polling. @default 0 */
  pollIntervalMs?: number;
  /** Called after every installed version (metrics, logs). */
  onInstalled?: (constitution: CompiledConstitution) => void;
}

/** Builds a holder; nothing is loaded until {@link ConstitutionHolder.start}. */
export function createConstitutionHolder({
  pool,
  trustStore,
  logger,
  pollIntervalMs = 0,
  onInstalled,
}: ConstitutionHolderDeps): ConstitutionHolder {
  let compiled: CompiledConstitution | null = null;
  let timer: NodeJS.Timeout | undefined;
  const log = logger.child({ component: 'constitution-holder' });

  const install = (verified: VerifiedConstitution | null, source: string): ReloadResult => {
    const previousVersion = compiled?.version ?? 0;
    if (verified === null) return { status: 'ignored', version: previousVersion, reason: 'not newer' };
    // Checked again here, not only before verification: an event and a poll may both verify
    // concurrently and must not install in the wrong order.
    if (verified.compiled.version <= previousVersion) {
      return {
        status: 'ignored',
        version: previousVersion,
        reason: `version ${verified.compiled.version} is not newer than ${previousVersion}`,
      };
    }
    compiled = verified.compiled;
    log.info(
      { version: compiled.version, hash: compiled.hash, previousVersion, source, kid: verified.kid },
      'constitution installed',
    );
    onInstalled?.(compiled);
    return { status: 'applied', version: compiled.version, hash: compiled.hash, previousVersion };
  };

  const refreshFromStore = async (): Promise<ReloadResult> => {
    const loaded = await loadCurrentConstitution({ pool, trustStore });
    if (loaded === null) return { status: 'ignored', version: 0, reason: 'nothing published yet' };
    return install(loaded, 'store');
  };

  return {
    current: () => compiled,
    get version() {
      return compiled?.version ?? 0;
    },
    get hash() {
      return compiled?.hash ?? null;
    },
    async start() {
      const result = await refreshFromStore();
      if (pollIntervalMs > 0 && timer === undefined) {
        timer = setInterval(() => {
          refreshFromStore().catch((err: unknown) => {
            // Keep gating on the version in force; a bad row or an outage must not unload it.
            log.error({ err }, 'constitution refresh from the store failed');
          });
        }, pollIntervalMs);
        timer.unref();
      }
      return result;
    },
    async apply(update) {
      const { version: claimed, jws } = update.data as { version?: unknown; jws?: unknown };
      // An event that only announces a version (no signed document) sends us to the store.
      if (typeof jws !== 'string') return refreshFromStore();
      const current = compiled?.version ?? 0;
      const verified = await verifyConstitutionUpdate(update, trustStore, current);
      if (verified === null) {
        const what = typeof claimed === 'number' ? `version ${claimed}` : 'the signed version';
        return {
          status: 'ignored',
          version: current,
          reason: `${what} is not newer than ${current} (a replay or a rollback)`,
        };
      }
      return install(verified, 'event');
    },
    refreshFromStore,
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Handler the `constitution.updated` consumer calls for each event. */
export type ConstitutionUpdateHandler = (event: EventEnvelope) => Promise<void>;

/**
 * Wires hot reload to the in-process `constitution.updated` subscription (the Kafka consumer's
 * `onConstitutionUpdated(handler)`). A tampered or untrusted update is logged and dropped: the
 * version in force stays, and the event is acknowledged (retrying a bad signature never helps).
 * Errors reading the event's JWS never reach the consumer. Returns whatever the subscription
 * returns (typically an unsubscribe function).
 */
export function subscribeToConstitutionUpdates<T>(
  holder: Pick<ConstitutionHolder, 'apply'>,
  onConstitutionUpdated: (handler: ConstitutionUpdateHandler) => T,
  logger: Logger,
): T {
  return onConstitutionUpdated(async (event) => {
    try {
      const result = await holder.apply(event);
      if (result.status === 'ignored') {
        logger.info(
          { eventId: event.id, version: result.version, reason: result.reason },
          'constitution update ignored; keeping the version in force',
        );
      }
    } catch (err) {
      logger.error(
        { err, eventId: event.id, reason: err instanceof Error ? err.message : String(err) },
        'constitution update rejected; keeping the version in force',
      );
    }
  });
}
