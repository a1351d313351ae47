import { createTrustStore, generateSigningKey, signConstitution } from '../../../../constitution';
import { createEvent } from '../../../../services/events';
import { createLogger } from '../../../../services/logger';
import {
  createConstitutionHolder,
  subscribeToConstitutionUpdates,
  type ConstitutionHolder,
  type ConstitutionUpdateHandler,
} from '../../../../workers/gate';
import { simpleConstitution } from '../../../fixtures/constitution/descriptors';
import { createGateTestStore, type GateTestStore } from './constitution-store';

const logger = createLogger({ level: 'silent' });
let store: GateTestStore;
const holders: ConstitutionHolder[] = [];

function holder(pollIntervalMs = 0): ConstitutionHolder {
  const h = createConstitutionHolder({
    pool: store.pool,
    trustStore: store.trustStore,
    logger,
    pollIntervalMs,
  });
  holders.push(h);
  return h;
}

/** A `constitution.updated` event as the constitution service writes it. */
function updated(version: number, jws: string, hash?: string) {
  return createEvent({
    type: 'constitution.updated',
    source: 'somagent/constitution',
    tenant: '*',
    subject: 'constitution',
    data: { version, jws, ...(hash ? { hash } : {}) },
  });
}

beforeAll(async () => {
  store = await createGateTestStore('gate_holder');
});

afterAll(async () => {
  for (const h of holders) h.stop();
  await store.close();
});

// One sequence: versions in the store only grow, so each step builds on the previous one.
describe('constitution holder', () => {
  it('starts empty before the first publish, then loads the published version from the store', async () => {
    const h = holder();
    expect(await h.start()).toEqual({ status: 'ignored', version: 0, reason: 'nothing published yet' });
    expect(h.current()).toBeNull();
    expect(h.version).toBe(0);

    const { stored } = await store.publish(1);
    expect(await h.refreshFromStore()).toEqual({
      status: 'applied',
      version: 1,
      hash: stored.hash,
      previousVersion: 0,
    });
    expect(h.hash).toBe(stored.hash);
    expect(h.current()?.version).toBe(1);
  });

  it('applies a newer signed update, ignores replays and older versions', async () => {
    const h = holder();
    await h.start();
    expect(h.version).toBe(1);

    const { event } = await store.publish(2);
    const applied = await h.apply(event);
    expect(applied).toMatchObject({ status: 'applied', version: 2, previousVersion: 1 });
    expect(await h.apply(event)).toMatchObject({ status: 'ignored', version: 2 });

    // An old version re-signed today is still old: the holder never steps back.
    const old = await store.sign(1, { label: '1.1.1' });
    expect(await h.apply(updated(1, old))).toMatchObject({ status: 'ignored', version: 2 });
    // Even if the event lies about its version number.
    expect(await h.apply(updated(9, old))).toMatchObject({ status: 'ignored', version: 2 });
    expect(h.version).toBe(2);
  });

  it('rejects tampered and untrusted updates and keeps the version in force', async () => {
    const h = holder();
    await h.start();
    const version = h.version;
    const hash = h.hash;

    const jws = await store.sign(version + 1);
    const [header, payload, signature] = jws.split('.');
    const document = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { threshold: number };
    document.threshold = 0.1;
    const tampered = [header, Buffer.from(JSON.stringify(document)).toString('base64url'), signature].join(
      '.',
    );
    await expect(h.apply(updated(version + 1, tampered))).rejects.toMatchObject({
      name: 'ConstitutionSignatureError',
    });

    const stranger = await generateSigningKey();
    const foreign = await signConstitution(simpleConstitution({ version: version + 1 }), {
      privateJwk: stranger.privateJwk,
    });
    await expect(h.apply(updated(version + 1, foreign))).rejects.toThrow(/not in the trust store/);

    await expect(h.apply(updated(version + 1, jws, 'sha256:forged'))).rejects.toThrow(/does not match/);
    expect(h.version).toBe(version);
    expect(h.hash).toBe(hash);
  });

  it('does not step back when the store is behind a version that arrived by event', async () => {
    const h = holder();
    await h.start();
    const ahead = h.version + 5;
    await h.apply(updated(ahead, await store.sign(ahead)));
    expect(await h.refreshFromStore()).toMatchObject({ status: 'ignored', version: ahead });
    expect(h.version).toBe(ahead);
  });

  it('converges by polling the store when no event arrives', async () => {
    const h = holder(50);
    await h.start();
    const next = h.version + 1;
    const { stored } = await store.publish(next);
    const deadline = Date.now() + 10_000;
    while (h.version < next && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(h.version).toBe(next);
    expect(h.hash).toBe(stored.hash);
  });

  it('hot-reloads through the update subscription and drops bad updates without throwing', async () => {
    const h = holder();
    await h.start();
    let deliver: ConstitutionUpdateHandler | undefined;
    const unsubscribe = subscribeToConstitutionUpdates(
      h,
      (handler) => {
        deliver = handler;
        return () => {
          deliver = undefined;
        };
      },
      logger,
    );
    const next = h.version + 1;
    await deliver!(updated(next, 'not.a.jws'));
    expect(h.version).toBe(next - 1);
    const { event } = await store.publish(next);
    await deliver!(event);
    expect(h.version).toBe(next);
    unsubscribe();
    expect(deliver).toBeUndefined();
  });

  it('reads the store when an event announces a version without its signed document', async () => {
    const h = holder();
    await h.start();
    const next = h.version + 1;
    const { stored } = await store.publish(next);
    const announcement = createEvent({
      type: 'constitution.updated',
      source: 'somagent/constitution',
      tenant: '*',
      subject: 'constitution',
      data: { version: next },
    });
    expect(await h.apply(announcement)).toMatchObject({
      status: 'applied',
      version: next,
      hash: stored.hash,
    });
  });

  it('says why an update was ignored: a replay or a rollback', async () => {
    const h = holder();
    await h.start();
    const current = h.version;
    expect(await h.apply(updated(1, await store.sign(1, { label: '1.0.9' })))).toEqual({
      status: 'ignored',
      version: current,
      reason: `version 1 is not newer than ${current} (a replay or a rollback)`,
    });
  });

  it('refuses to start on a stored version its trust store does not know', async () => {
    const stranger = await generateSigningKey();
    const h = createConstitutionHolder({
      pool: store.pool,
      trustStore: createTrustStore({ keys: [stranger.publicJwk] }),
      logger,
    });
    await expect(h.start()).rejects.toThrow(/not in the trust store/);
    expect(h.current()).toBeNull();
  });
});
