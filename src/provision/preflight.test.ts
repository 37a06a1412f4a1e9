import { describe, expect, it } from 'vitest';
import { parseDf, parseProcNetTcp, parseSections, parseSsListeners, parseSwaps } from './preflight.js';

describe('preflight parsers', () => {
  it('reads listeners from ss, with the process when -p could tell', () => {
    const ss = [
      'LISTEN 0      4096   127.0.0.1:2379 0.0.0.0:* users:(("etcd",pid=27098,fd=5))',
      'LISTEN 0      128      0.0.0.0:22  0.0.0.0:*',
      'LISTEN 0      4096      [::]:6443     [::]:* users:(("kube-apiserver",pid=9,fd=3),("kube-apiserver",pid=9,fd=7))',
      '',
    ].join('\n');
    expect(parseSsListeners(ss)).toEqual([
      { port: 2379, address: '127.0.0.1', process: 'etcd (pid 27098)' },
      { port: 22, address: '0.0.0.0' },
      { port: 6443, address: '[::]', process: 'kube-apiserver (pid 9)' },
    ]);
  });

  it('reads listeners from /proc/net/tcp when ss is missing', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0953 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 641005 2',
      '   1: 0A4D010A:0016 0A4D010B:C350 01 00000000:00000000 00:00000000 00000000     0        0 641007 3',
      '   0: 00000000000000000000000000000000:192B 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 1',
    ].join('\n');
    expect(parseProcNetTcp(tcp)).toEqual([
      { port: 2387, address: '127.0.0.1' },
      { port: 6443, address: '[00000000000000000000000000000000]' },
    ]);
  });

  it('reads swap areas, df and sections', () => {
    const swaps = 'Filename\tType\tSize\tUsed\tPriority\n/swap.img  file  2097148  0  -2\n';
    expect(parseSwaps(swaps)).toEqual(['/swap.img (2.0 GiB)']);
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual([]);
    expect(parseDf('/dev/vda         264212084 28218540  67282724      30% /var/lib data')).toEqual({
      availableBytes: 67282724 * 1024,
      mountPoint: '/var/lib data',
    });
    expect(parseDf('')).toBeUndefined();
    expect(parseSections('---a\nx=1\n---b\n\n---c\nz')).toEqual(
      new Map([
        ['a', 'x=1'],
        ['b', ''],
        ['c', 'z'],
      ]),
    );
  });
});
