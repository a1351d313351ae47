import { redirect } from '@sveltejs/kit';
import { routeForWorkflows } from '@temporalio/ui/utilities/route-for';
import type { PageLoad } from './$types';

// When the server's settings turn write actions or starting off, the form is not offered.
export const load: PageLoad = async ({ params, parent }) => {
  const { settings } = await parent();
  if (settings.disableWriteActions || settings.startWorkflowDisabled) {
    redirect(302, routeForWorkflows({ namespace: params.namespace }));
  }
};
