import { redirect } from '@sveltejs/kit';
import { routeForWorkflows } from '@temporalio/ui/utilities/route-for';
import type { PageLoad } from './$types';

// The front page is the default namespace's workflow list, as in `temporal server start-dev`.
export const load: PageLoad = async ({ parent }) => {
  const { settings } = await parent();
  redirect(302, routeForWorkflows({ namespace: settings.defaultNamespace }));
};
