import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ProvisionError } from './errors.js';
import { AdminApi } from './kube-api.js';
import { clusterPaths } from './state.js';

/** `corral version`: asks the cluster's API server, with the kubeconfig `corral up` wrote. */
export async function clusterVersion(configPath: string): Promise<{ server: string; kubeconfig: string }> {
  const { kubeconfig } = clusterPaths(resolve(configPath));
  let text: string;
  try {
    text = await readFile(kubeconfig, 'utf8');
  } catch {
    throw new ProvisionError(`${kubeconfig} not found: run \`corral up --config ${configPath}\` first`);
  }
  const api = new AdminApi(text);
  try {
    const v = await api.json<{ gitVersion: string }>('GET', '/version');
    return { server: v.gitVersion, kubeconfig };
  } catch (err) {
    throw new ProvisionError(`the cluster's API server did not answer: ${(err as Error).message}`);
  } finally {
    api.close();
  }
}
