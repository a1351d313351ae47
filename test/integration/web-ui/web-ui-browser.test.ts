import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BUILTIN_LIBRARY_DIR, loadLibrary } from '../../../capsules/library-loader';
import { createCapsuleRegistry } from '../../../capsules/registry/registry-store';
import { forecastApprovalId } from '../../../workflows/capsule';
import { statusQuery } from '../../../workflows/shared/definitions';
import { SEARCH_ATTRIBUTES } from '../../../workflows/shared/search-attributes';
import { ARTIFACTS_DIR, launchChromium, screenshotter } from '../../support/browser';
import { waitFor } from '../../support/devserver';
import { finish, mentions } from '../../fixtures/runtime/graph-capsules';
import { startRuntimeHarness, type RuntimeHarness } from '../../fixtures/runtime/harness';

// Bundling workflows, a private database and a browser: slow on a 2-core machine.
jest.setTimeout(240_000);

// An admin's afternoon in the real Temporal Web UI (@temporalio/ui, built by services/web-ui and
// served by the devserver with its HTTP API): list and filter capsule runs, start one from the
// Start Workflow form with plain JSON, approve its forecast with the `approve` signal, watch it
// complete, read its history and its persona child, and list the schedules.

const UI_DIR = path.resolve(__dirname, '../../../services/web-ui/build');
const CAPSULE_ID = 'ui.approval-demo';

let h: RuntimeHarness;
let browser: Browser;
let page: Page;
let base: string;
const shot = screenshotter('web-ui');

beforeAll(async () => {
  await rm(path.join(ARTIFACTS_DIR, 'web-ui'), { recursive: true, force: true });
  [h, browser] = await Promise.all([
    startRuntimeHarness('web_ui', { devserver: { http: { port: 0, uiDir: UI_DIR } } }),
    launchChromium(),
  ]);
  base = `http://${h.devserver.server.httpAddress}`;
  const library = await loadLibrary([BUILTIN_LIBRARY_DIR]);
  const registry = createCapsuleRegistry({ pool: h.store.pool });
  await registry.publishPersona(library.personas.find((p) => p.value.id === 'scribe')!.value);
  const meetingSummary = library.capsules.find((c) => c.value.id === 'meetings.transcript-summary')!.value;
  // One persona step behind a forecast approval (limit 0: every run needs an admin's yes).
  await registry.publishCapsule({
    ...meetingSummary,
    id: CAPSULE_ID,
    title: 'Approval demo',
    tools: ['finish'],
    guardrails: {},
    budget: { ...meetingSummary.budget, approvalLimitUsd: 0 },
    steps: [{ id: 'note', persona: 'scribe', instruction: 'MARK-UI: write a one-line note.', tools: [] }],
  });
  h.openai.enqueueWhen(mentions('MARK-UI'), finish('a note for the admin'));
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** The page's text, for assertions on what the admin reads. */
const pageText = () => page.locator('body').innerText();

describe('the Temporal Web UI against the devserver, in chromium', () => {
  const workflowId = `ui-run-${Date.now()}`;

  it('opens on the workflow list of the default namespace', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/namespaces\/default\/workflows/);
    await page
      .getByRole('heading', { name: /Workflows/ })
      .first()
      .waitFor();
    await shot(page, 'workflow-list');
  });

  it('starts capsuleWorkflow from the Start Workflow form with plain JSON input', async () => {
    await page.goto(`${base}/namespaces/default/workflows/start-workflow`);
    await page.getByTestId('start-workflow').waitFor();
    await page.locator('#workflowId').fill(workflowId);
    await page.locator('#taskQueue').fill(h.taskQueue);
    await page.locator('#workflowType').fill('capsuleWorkflow');
    const input = page.locator('.cm-content').first();
    await input.click();
    await page.keyboard.insertText(JSON.stringify({ capsule: `${CAPSULE_ID}@^1`, tenant: 'acme' }));
    await shot(page, 'start-form');
    await page.getByTestId('start-workflow-button').click();
    await page
      .getByText(/Workflow started/i)
      .first()
      .waitFor();
    const handle = h.client.workflow.getHandle(workflowId);
    await waitFor(
      'the run to wait for its forecast approval',
      async () => (await handle.query(statusQuery)).phase === 'awaiting_approval',
      60_000,
    );
    const description = await handle.describe();
    expect(description.type).toBe('capsuleWorkflow');
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.capsuleId)).toBe(CAPSULE_ID);
    expect(description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status)).toBe('awaiting-approval');
  });

  it('filters the list by the capsule search attribute', async () => {
    const query = `${SEARCH_ATTRIBUTES.capsuleId.name}="${CAPSULE_ID}"`;
    await page.goto(`${base}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    const row = page.getByRole('link', { name: workflowId }).first();
    await row.waitFor();
    await shot(page, 'filtered-list');
    // Nothing else carries that capsule id; a filter on another id lists nothing.
    const other = `${SEARCH_ATTRIBUTES.capsuleId.name}="no.such-capsule"`;
    await page.goto(`${base}/namespaces/default/workflows?query=${encodeURIComponent(other)}`);
    await page.getByText('No Results').first().waitFor();
    expect(await pageText()).toMatch(/\b0\s+Workflows/);
    await shot(page, 'filtered-empty');
    expect(await page.getByRole('link', { name: workflowId }).count()).toBe(0);
  });

  it('shows the run waiting for approval and sends the approve signal from the UI', async () => {
    await page.goto(`${base}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.waitForURL(/\/history/);
    await page.getByText('capsuleWorkflow').first().waitFor();
    expect(await pageText()).toMatch(/Running/);
    // The run's own status as current details (a UI start carries no summary unless typed in).
    await page.getByText('Current Details').first().click();
    // Markdown renders in the UI's sandboxed iframe (the devserver's /render page).
    const details = page.frameLocator('iframe[title="output"]').first();
    await details
      .getByText(/waiting for approval/)
      .first()
      .waitFor();
    expect(await details.locator('body').innerText()).toContain('"approved": true');
    await details.locator('strong', { hasText: `${CAPSULE_ID} v1.0.0` }).waitFor();
    await shot(page, 'run-awaiting-approval');

    await page.locator('#workflow-actions-menu-button:visible').click();
    await page.locator('[data-testid="signal-button"]:visible').click();
    const modal = page.getByRole('dialog', { name: 'Send a Signal' });
    await modal.waitFor();
    // The signal list comes from the run's own definitions (the SDK's metadata query).
    await modal.getByTestId('signal-select-button').click();
    await modal.getByRole('option', { name: 'approve', exact: true }).click();
    await modal.locator('.cm-content').first().click();
    await page.keyboard.insertText(
      JSON.stringify({ approvalId: forecastApprovalId(workflowId), approved: true, by: 'admin' }),
    );
    await shot(page, 'signal-form');
    await modal.getByRole('button', { name: /Submit/ }).click();

    const result = await h.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({
      status: 'completed',
      steps: { note: { state: 'succeeded', output: 'a note for the admin' } },
    });
    await page.reload();
    await page.getByText('Completed').first().waitFor();
    await shot(page, 'run-completed');
  });

  it('reads the event history with the signal and the persona child', async () => {
    await page.goto(`${base}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.waitForURL(/\/history/);
    await page.getByText('Workflow Execution Signaled').first().waitFor();
    await page.getByText('Child Workflow Execution Completed').first().waitFor();
    expect(await pageText()).toContain('Workflow Execution Completed');
    await shot(page, 'event-history');

    const child = (await h.client.workflow.getHandle(workflowId).query(statusQuery)).steps[0]!
      .childWorkflowId!;
    const childDescription = await h.client.workflow.getHandle(child).describe();
    expect(await childDescription.staticSummary()).toMatch(
      /^persona scribe \(scribe v1\.0\.0\) for step note$/,
    );
    expect(childDescription.typedSearchAttributes.get(SEARCH_ATTRIBUTES.step)).toBe('note');
    await page.goto(`${base}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    await page.waitForURL(/\/history/);
    await page.goto(page.url().replace(/\/history$/, '/relationships'));
    await page.getByRole('link', { name: child }).first().click();
    await page.waitForURL(new RegExp(encodeURIComponent(child).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await page.getByText('personaWorkflow').first().waitFor();
    // The child's summary (user metadata set by the capsule run) names its persona and step.
    await page.getByText('Summary & Details').first().click();
    await page
      .frameLocator('iframe[title="output"]')
      .first()
      .getByText(/persona \S+ \(scribe v[\d.]+\) for step note/)
      .first()
      .waitFor();
    await shot(page, 'persona-child');
  });

  it('lists the schedules', async () => {
    const scheduleId = `ui-schedule-${Date.now()}`;
    await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'capsuleWorkflow',
        taskQueue: h.taskQueue,
        args: [{ capsule: `${CAPSULE_ID}@^1`, tenant: 'acme' }],
      },
      state: { paused: true, note: 'paused for the UI test' },
    });
    await page.goto(`${base}/namespaces/default/schedules`);
    await page.getByText(scheduleId).first().waitFor();
    await shot(page, 'schedules');
  });
});
