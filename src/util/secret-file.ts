import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file readable only by its owner (keys, kubeconfigs, tokens), creating its folder with
 * mode 0700. The chmod matters: writeFile's mode applies only when it creates the file.
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}
