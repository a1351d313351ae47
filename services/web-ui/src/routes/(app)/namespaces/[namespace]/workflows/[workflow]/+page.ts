import { error, redirect } from '@sveltejs/kit';
import { fetchWorkflowForRunId } from '@temporalio/ui/services/workflow-service';
import type { PageLoad } from './$types';

// A workflow id without a run id opens its latest run.
export const load: PageLoad = async ({ url, params }) => {
  const { runId } = await fetchWorkflowForRunId({ namespace: params.namespace, workflowId: params.workflow });
  if (!runId) error(404, `no run of workflow ${params.workflow}`);
  redirect(302, `${url.pathname}/${runId}`);
};
