import { describe, expect, it } from 'vitest';
import { Registry } from './metrics.js';

describe('Registry', () => {
  it('renders counters, gauges (set and collected) and histograms in Prometheus text format', () => {
    const r = new Registry();
    const c = r.counter('x_total', 'Things.');
    c.inc({ kind: 'a"b' });
    c.inc({ kind: 'a"b' }, 2);
    const g = r.gauge('depth', 'Depth.');
    let depth = 3;
    g.collect({ q: 'one' }, () => depth);
    g.set({ q: 'two' }, 7);
    const h = r.histogram('took_seconds', 'Time.', [0.1, 1]);
    h.observe({ c: 'p' }, 0.05);
    h.observe({ c: 'p' }, 0.5);
    h.observe({ c: 'p' }, 5);
    depth = 4;
    expect(r.render().split('\n')).toEqual([
      '# HELP x_total Things.',
      '# TYPE x_total counter',
      'x_total{kind="a\\"b"} 3',
      '# HELP depth Depth.',
      '# TYPE depth gauge',
      'depth{q="two"} 7',
      'depth{q="one"} 4',
      '# HELP took_seconds Time.',
      '# TYPE took_seconds histogram',
      'took_seconds_bucket{c="p",le="0.1"} 1',
      'took_seconds_bucket{c="p",le="1"} 2',
      'took_seconds_bucket{c="p",le="+Inf"} 3',
      'took_seconds_sum{c="p"} 5.55',
      'took_seconds_count{c="p"} 3',
      '',
    ]);
  });

  it('gives a second registration of a name the first family, so controllers share series', () => {
    const r = new Registry();
    r.counter('n_total', 'N.').inc({ controller: 'a' });
    r.counter('n_total', 'N.').inc({ controller: 'b' });
    expect(r.render()).toBe(
      '# HELP n_total N.\n# TYPE n_total counter\nn_total{controller="a"} 1\nn_total{controller="b"} 1\n',
    );
  });
});
