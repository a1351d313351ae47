import { bundleWorkflowCode } from '@temporalio/worker';

// The Temporal bundler refuses Node built-ins and unresolvable modules in workflow code; bundling
// every workflow module (and the interceptor module the worker registers) proves they are
// sandbox-safe without a running server.
describe('workflow sandbox', () => {
  it('bundles every workflow module and the gate context interceptor', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/sandbox-workflow'),
      workflowInterceptorModules: [require.resolve('../../../workflows/gate-context-interceptor')],
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    expect(bundle.code).toContain('sandboxFixtureWorkflow');
    expect(bundle.code).toContain('somagent-gate-context');
    expect(bundle.code.length).toBeGreaterThan(10_000);
  }, 120_000);
});
