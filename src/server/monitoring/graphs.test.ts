import { describe, expect, test } from 'vitest';
import { graphExpression, selector } from './graphs.js';
import { alertExpression } from './prometheus.js';

const url = (q: string) => new URL(`https://x/q?${q}`);

describe('graph expressions', () => {
  test('levels become label matchers; a project always carries its namespaces', () => {
    expect(graphExpression('cpu', selector(url('')))).toBe(
      'sum(rate(container_cpu_usage_seconds_total{container!=""}[5m]))',
    );
    expect(graphExpression('network', selector(url('node=n1')))).toBe(
      'sum(rate(container_network_receive_bytes_total{node="n1"}[5m])) + sum(rate(container_network_transmit_bytes_total{node="n1"}[5m]))',
    );
    expect(selector(url('namespace=a&workload=web'), ['a', 'b.c'])).toBe(
      'namespace=~"a|b\\\\.c",namespace="a",pod=~"web-.+"',
    );
    expect(() => selector(url('namespace=kube-system'), ['a'])).toThrow(/not in this project/);
    expect(() => selector(url('pod=x'))).toThrow(/need a namespace/);
    // Nothing that is not a Kubernetes name gets near the expression.
    expect(() => selector(url(`node=${encodeURIComponent('a"} or vector(1) #')}`))).toThrow(/Kubernetes name/);
  });

  test('metric rule comparisons', () => {
    expect(alertExpression({ expression: 'up', comparison: 'less-than', thresholdValue: 1 })).toBe('(up) < 1');
    expect(alertExpression({ expression: 'x', comparison: 'has-value', thresholdValue: 0 })).toBe('(x)');
  });
});
