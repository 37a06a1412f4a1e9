import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { shellQuote } from '../../src/provision/files.js';
import type { NodeIo } from '../../src/provision/node-io.js';
import type { NodeSet } from './nodes.js';

/**
 * A NodeIo for one node of a test set that enters the node's namespaces from this machine
 * (nsenter, as NodeSet.exec does) instead of logging in over SSH: the same commands and files as
 * over SSH, for tests of the node-side parts (supervisor, components) that should not depend on
 * the SSH layer.
 */
export function nodeIoOf(set: NodeSet, index: number): NodeIo {
  const node = set.nodes[index];
  if (!node) throw new Error(`node set ${set.name} has no node ${index}`);
  const run: NodeIo['run'] = (command, options = {}) =>
    new Promise((resolve) => {
      const args = [
        '--target',
        String(node.initPid),
        '--net',
        '--mount',
        '--uts',
        '--pid',
        '--',
        '/bin/sh',
        '-c',
        command,
      ];
      const child = execFile(
        'nsenter',
        args,
        { cwd: '/', timeout: options.timeoutMs ?? 0, maxBuffer: 256 << 20, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr: err?.killed ? `${stderr}\n(killed after ${options.timeoutMs} ms)` : stderr });
        },
      );
      // A command that does not read its input closes the pipe early; that is not an error.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input ?? '');
    });
  return {
    label: `${node.address} (${node.name})`,
    run,
    async writeFile(path, content, mode) {
      const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
      const res = await run(
        `mkdir -p ${shellQuote(posix.dirname(path))} && cat > ${shellQuote(tmp)} && ` +
          `chmod ${mode.toString(8)} ${shellQuote(tmp)} && mv -f ${shellQuote(tmp)} ${shellQuote(path)}`,
        { input: content },
      );
      if (res.code !== 0) throw new Error(`writing ${path} on ${node.name}: ${res.stderr.trim()}`);
    },
    async readFile(path) {
      // base64 keeps binary content intact through the text output.
      const res = await run(`[ -e ${shellQuote(path)} ] || exit 3; base64 -w0 < ${shellQuote(path)}`);
      if (res.code === 3) return null;
      if (res.code !== 0) throw new Error(`reading ${path} on ${node.name}: ${res.stderr.trim()}`);
      return Buffer.from(res.stdout, 'base64');
    },
  };
}
