import { fetchCluster, fetchSystemInfo } from '@temporalio/ui/services/cluster-service';
import { fetchNamespaces } from '@temporalio/ui/services/namespaces-service';
import { fetchSettings } from '@temporalio/ui/services/settings-service';
import type { LayoutLoad } from './$types';

// What every page needs first: the server's UI settings, cluster and capabilities, and the
// namespace list (filled in the background into the UI's namespaces store).
export const load: LayoutLoad = async ({ fetch }) => {
  const settings = await fetchSettings(fetch);
  void fetchNamespaces(settings, fetch);
  const [cluster, systemInfo] = await Promise.all([
    fetchCluster(settings, fetch),
    fetchSystemInfo(settings, fetch),
  ]);
  return { settings, cluster, systemInfo };
};
