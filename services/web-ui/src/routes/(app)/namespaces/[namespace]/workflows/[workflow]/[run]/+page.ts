import { redirect } from '@sveltejs/kit';
import type { PageLoad } from './$types';

// A run opens on its event history.
export const load: PageLoad = ({ url }) => {
  redirect(302, `${url.pathname}/history`);
};
