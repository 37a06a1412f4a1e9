import { describe, expect, test } from 'vitest';
import {
  desiredQuotaObjects,
  LIMIT_ANNOTATION,
  namespaceContainerDefault,
  namespaceQuota,
  parseContainerLimitAnnotation,
  parseQuotaAnnotation,
  QUOTA_ANNOTATION,
  quotaFits,
  toKubernetesHard,
  usedLimit,
  type ContainerDefaultLimit,
  type QuotaInputs,
  type RancherQuotaLimit,
} from './quota.js';

describe('toKubernetesHard', () => {
  test('maps every Rancher field to its Kubernetes resource name', () => {
    expect(
      toKubernetesHard({
        pods: '1',
        services: '2',
        replicationControllers: '3',
        secrets: '4',
        configMaps: '5',
        persistentVolumeClaims: '6',
        servicesNodePorts: '7',
        servicesLoadBalancers: '8',
        requestsCpu: '9',
        requestsMemory: '10Mi',
        requestsStorage: '11Gi',
        limitsCpu: '12',
        limitsMemory: '13Mi',
      }),
    ).toEqual({
      pods: '1',
      services: '2',
      replicationcontrollers: '3',
      secrets: '4',
      configmaps: '5',
      persistentvolumeclaims: '6',
      'services.nodeports': '7',
      'services.loadbalancers': '8',
      'requests.cpu': '9',
      'requests.memory': '10Mi',
      'requests.storage': '11Gi',
      'limits.cpu': '12',
      'limits.memory': '13Mi',
    });
  });

  test('leaves out unset and empty fields', () => {
    expect(toKubernetesHard({ pods: '', limitsCpu: '2', secrets: undefined })).toEqual({ 'limits.cpu': '2' });
    expect(toKubernetesHard({})).toEqual({});
  });
});

describe('parseQuotaAnnotation', () => {
  test('parses Rancher\'s {"limit": {...}}', () => {
    expect(parseQuotaAnnotation('{"limit":{"pods":"10","requestsCpu":"500m","limitsMemory":"1Gi"}}')).toEqual({
      pods: '10',
      requestsCpu: '500m',
      limitsMemory: '1Gi',
    });
    expect(parseQuotaAnnotation('{"limit":{}}')).toEqual({});
  });

  test.each([
    ['{"limit":', /is not valid JSON/],
    ['null', /must be a JSON object/],
    ['[1]', /must be a JSON object/],
    ['{}', /with a "limit" object/],
    ['{"limit":"10"}', /with a "limit" object/],
    ['{"limit":{},"extra":1}', /unknown field "extra"/],
    ['{"limit":{"cpu":"1"}}', /unknown field "cpu" \(known: pods, services, /],
    ['{"limit":{"pods":10}}', /limit\.pods must be a string quantity/],
    ['{"limit":{"requestsMemory":"lots"}}', /limit\.requestsMemory: "lots" is not a Kubernetes quantity/],
    ['{"limit":{"limitsCpu":"-1"}}', /limit\.limitsCpu: "-1" must not be negative/],
  ])('%s is refused', (value, message) => {
    expect(() => parseQuotaAnnotation(value)).toThrow(message);
  });

  test('the error names the annotation', () => {
    expect(() => parseQuotaAnnotation('x')).toThrow(QUOTA_ANNOTATION);
  });
});

describe('namespaceQuota', () => {
  const annotated = (limit: RancherQuotaLimit | string) => ({
    [QUOTA_ANNOTATION]: typeof limit === 'string' ? limit : JSON.stringify({ limit }),
    'field.cattle.io/projectId': 'c-abcde:p-one',
  });
  const projectDefault: RancherQuotaLimit = { pods: '10', limitsCpu: '2' };

  test.each<[string, Record<string, string> | undefined, RancherQuotaLimit | undefined, RancherQuotaLimit | undefined]>(
    [
      ['no annotation, no default: no quota', undefined, undefined, undefined],
      ['other annotations only: no quota', { 'field.cattle.io/projectId': 'c-abcde:p-one' }, undefined, undefined],
      ['the project default', undefined, projectDefault, { pods: '10', limitsCpu: '2' }],
      ['the annotation alone', annotated({ secrets: '3' }), undefined, { secrets: '3' }],
      [
        'the annotation wins field by field; fields it omits keep the default',
        annotated({ pods: '4', secrets: '3' }),
        projectDefault,
        { pods: '4', limitsCpu: '2', secrets: '3' },
      ],
      ['invalid JSON: the project default', annotated('{"limit":{'), projectDefault, projectDefault],
      [
        'valid JSON, bad quantity: the project default',
        annotated('{"limit":{"pods":"x"}}'),
        projectDefault,
        projectDefault,
      ],
      ['an empty annotation: the project default', { [QUOTA_ANNOTATION]: '' }, projectDefault, projectDefault],
      ['an empty limit on both: no quota', annotated({}), {}, undefined],
      ['empty default values are unset', undefined, { pods: '', limitsCpu: '1' }, { limitsCpu: '1' }],
    ],
  )('%s', (_name, annotations, dflt, expected) => {
    expect(namespaceQuota(annotations, dflt)).toEqual(expected);
  });

  test('does not modify the project default', () => {
    const dflt = { ...projectDefault };
    namespaceQuota(annotated({ pods: '1' }), dflt);
    expect(dflt).toEqual(projectDefault);
  });
});

describe('quotaFits', () => {
  test('fits when every sum is at most the limit, equality included', () => {
    expect(
      quotaFits({ pods: '10', requestsCpu: '1', limitsMemory: '2Gi' }, [
        { pods: '4', requestsCpu: '500m', limitsMemory: '1Gi' },
        { pods: '6', requestsCpu: '0.5', limitsMemory: '1024Mi' },
      ]),
    ).toEqual({ ok: true });
  });

  test('sums are exact: three 100m fit in 300m (floating point would say 0.30000000000000004 > 0.3)', () => {
    expect(
      quotaFits({ requestsCpu: '300m' }, [{ requestsCpu: '100m' }, { requestsCpu: '100m' }, { requestsCpu: '100m' }]),
    ).toEqual({
      ok: true,
    });
    expect(
      quotaFits({ requestsCpu: '300m' }, [{ requestsCpu: '100m' }, { requestsCpu: '200m' }, { requestsCpu: '1n' }]),
    ).toEqual({
      ok: false,
      exceeded: [{ field: 'requestsCpu', limit: '300m', total: '300000001n', over: '1n' }],
    });
  });

  test.each<
    [string, RancherQuotaLimit, RancherQuotaLimit[], { field: string; limit: string; total: string; over: string }]
  >([
    ['pods', { pods: '10' }, [{ pods: '7' }, { pods: '5' }], { field: 'pods', limit: '10', total: '12', over: '2' }],
    [
      'cpu in millicores',
      { limitsCpu: '2' },
      [{ limitsCpu: '1500m' }, { limitsCpu: '1' }],
      { field: 'limitsCpu', limit: '2', total: '2500m', over: '500m' },
    ],
    [
      'cpu in whole cores',
      { requestsCpu: '2' },
      [{ requestsCpu: '2' }, { requestsCpu: '1000m' }],
      { field: 'requestsCpu', limit: '2', total: '3', over: '1' },
    ],
    [
      'memory in binary units',
      { requestsMemory: '4Gi' },
      [{ requestsMemory: '3Gi' }, { requestsMemory: '2048Mi' }],
      { field: 'requestsMemory', limit: '4Gi', total: '5Gi', over: '1Gi' },
    ],
    [
      'memory, limit in decimal units',
      { limitsMemory: '1G' },
      [{ limitsMemory: '600M' }, { limitsMemory: '500M' }],
      { field: 'limitsMemory', limit: '1G', total: '1100M', over: '100M' },
    ],
    [
      'storage mixing units',
      { requestsStorage: '1Gi' },
      [{ requestsStorage: '1Gi' }, { requestsStorage: '512Mi' }],
      { field: 'requestsStorage', limit: '1Gi', total: '1536Mi', over: '512Mi' },
    ],
    [
      'node ports',
      { servicesNodePorts: '0' },
      [{ servicesNodePorts: '1' }],
      { field: 'servicesNodePorts', limit: '0', total: '1', over: '1' },
    ],
  ])('reports %s over the limit, and by how much', (_name, project, namespaces, exceeded) => {
    expect(quotaFits(project, namespaces)).toEqual({ ok: false, exceeded: [exceeded] });
  });

  test('reports every exceeded field, in a fixed order, and only those', () => {
    const result = quotaFits({ limitsMemory: '1Gi', pods: '2', secrets: '10' }, [
      { pods: '3', secrets: '1', limitsMemory: '2Gi' },
    ]);
    expect(result).toEqual({
      ok: false,
      exceeded: [
        { field: 'pods', limit: '2', total: '3', over: '1' },
        { field: 'limitsMemory', limit: '1Gi', total: '2Gi', over: '1Gi' },
      ],
    });
  });

  test('fields the project does not limit are not checked; a namespace without a field adds nothing', () => {
    expect(quotaFits({ pods: '5' }, [{ pods: '5', secrets: '1000' }, { configMaps: '9' }])).toEqual({ ok: true });
    expect(quotaFits({ pods: '5' }, [])).toEqual({ ok: true });
  });

  test('refuses values that are not non-negative quantities', () => {
    expect(() => quotaFits({ pods: 'ten' }, [])).toThrow(/project limit pods: "ten" is not a Kubernetes quantity/);
    expect(() => quotaFits({ pods: '10' }, [{ pods: '1' }, { pods: '-1' }])).toThrow(
      /namespace limit 1 pods: "-1" must not be negative/,
    );
  });
});

describe('usedLimit', () => {
  test('sums each field over the namespaces, in its units', () => {
    expect(
      usedLimit([
        { pods: '3', requestsCpu: '500m', limitsMemory: '1Gi', requestsStorage: '10Gi' },
        { pods: '4', requestsCpu: '1', limitsMemory: '512Mi' },
        { requestsCpu: '0.25', configMaps: '2' },
      ]),
    ).toEqual({ pods: '7', requestsCpu: '1750m', limitsMemory: '1536Mi', requestsStorage: '10Gi', configMaps: '2' });
  });

  test('whole cores stay whole; nothing used is an empty limit', () => {
    expect(usedLimit([{ limitsCpu: '500m' }, { limitsCpu: '1500m' }])).toEqual({ limitsCpu: '2' });
    expect(usedLimit([])).toEqual({});
  });
});

describe('container default limits', () => {
  test("parseContainerLimitAnnotation parses Rancher's flat object", () => {
    expect(parseContainerLimitAnnotation('{"limitsCpu":"20m","limitsMemory":"20Mi","requestsCpu":"10m"}')).toEqual({
      limitsCpu: '20m',
      limitsMemory: '20Mi',
      requestsCpu: '10m',
    });
  });

  test.each([
    ['nope', /is not valid JSON/],
    ['"1"', /must be a JSON object/],
    ['{"limit":{}}', /unknown field "limit"/],
    ['{"limitsCpu":"a"}', /limitsCpu: "a" is not a Kubernetes quantity/],
    ['{"requestsCpu":"2","limitsCpu":"1"}', /requestsCpu \(2\) must not be more than limitsCpu \(1\)/],
    ['{"requestsMemory":"1Gi","limitsMemory":"512Mi"}', /requestsMemory \(1Gi\) must not be more than limitsMemory/],
  ])('%s is refused', (value, message) => {
    expect(() => parseContainerLimitAnnotation(value)).toThrow(message);
  });

  test.each<
    [string, Record<string, string> | undefined, ContainerDefaultLimit | undefined, ContainerDefaultLimit | undefined]
  >([
    ['none', undefined, undefined, undefined],
    ['the project default', undefined, { limitsCpu: '1' }, { limitsCpu: '1' }],
    [
      'the annotation alone',
      { [LIMIT_ANNOTATION]: '{"requestsMemory":"64Mi"}' },
      undefined,
      { requestsMemory: '64Mi' },
    ],
    [
      'the annotation over the project, key by key',
      { [LIMIT_ANNOTATION]: '{"limitsCpu":"2"}' },
      { limitsCpu: '1', requestsCpu: '100m' },
      { limitsCpu: '2', requestsCpu: '100m' },
    ],
    ['an invalid annotation: the project default', { [LIMIT_ANNOTATION]: '{' }, { limitsCpu: '1' }, { limitsCpu: '1' }],
    [
      '"null" (Rancher writes it to clear): the project default',
      { [LIMIT_ANNOTATION]: 'null' },
      { limitsCpu: '1' },
      { limitsCpu: '1' },
    ],
  ])('namespaceContainerDefault: %s', (_name, annotations, dflt, expected) => {
    expect(namespaceContainerDefault(annotations, dflt)).toEqual(expected);
  });
});

describe('desiredQuotaObjects', () => {
  const labels = (projectId: string) => ({
    'corral.io/managed': 'true',
    'corral.io/cluster': 'c-abcde',
    'corral.io/project': projectId,
  });

  const input: QuotaInputs = {
    clusterId: 'c-abcde',
    namespaces: [
      { name: 'web', projectId: 'p-one' },
      { name: 'batch', projectId: 'p-one', annotations: { [QUOTA_ANNOTATION]: '{"limit":{"pods":"50"}}' } },
      { name: 'loose' },
      { name: 'plain', projectId: 'p-bare' },
      { name: 'limits-only', projectId: 'p-limits' },
      { name: 'own-quota', projectId: 'p-bare', annotations: { [QUOTA_ANNOTATION]: '{"limit":{"secrets":"5"}}' } },
      { name: 'unknown-project', projectId: 'p-unknown' },
    ],
    projects: new Map([
      [
        'p-one',
        {
          namespaceDefaultLimit: { pods: '10', limitsCpu: '2', requestsMemory: '1Gi' },
          containerDefaultLimit: {
            limitsCpu: '500m',
            limitsMemory: '256Mi',
            requestsCpu: '100m',
            requestsMemory: '128Mi',
          },
        },
      ],
      ['p-bare', {}],
      ['p-limits', { containerDefaultLimit: { limitsCpu: '1' } }],
    ]),
  };

  test('a ResourceQuota and a LimitRange per namespace of a project that has them', () => {
    const out = desiredQuotaObjects(input);
    expect(out.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'LimitRange batch/default-limitrange',
      'LimitRange limits-only/default-limitrange',
      'LimitRange web/default-limitrange',
      'ResourceQuota batch/default-quota',
      'ResourceQuota own-quota/default-quota',
      'ResourceQuota web/default-quota',
    ]);
    expect(out.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'web')).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'default-quota', namespace: 'web', labels: labels('p-one') },
      spec: { hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' } },
    });
    expect(out.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'batch')!.spec).toEqual({
      hard: { pods: '50', 'limits.cpu': '2', 'requests.memory': '1Gi' },
    });
    expect(out.find((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === 'own-quota')!.spec).toEqual({
      hard: { secrets: '5' },
    });
    expect(out.find((o) => o.kind === 'LimitRange' && o.metadata.namespace === 'web')).toEqual({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'default-limitrange', namespace: 'web', labels: labels('p-one') },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '256Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
          },
        ],
      },
    });
  });

  test('a LimitRange leaves out what is not set', () => {
    const out = desiredQuotaObjects(input);
    expect(out.find((o) => o.metadata.namespace === 'limits-only')!.spec).toEqual({
      limits: [{ type: 'Container', default: { cpu: '1' } }],
    });
    const requestsOnly = desiredQuotaObjects({
      clusterId: 'c-abcde',
      namespaces: [{ name: 'ns', projectId: 'p-x', annotations: { [LIMIT_ANNOTATION]: '{"requestsMemory":"64Mi"}' } }],
      projects: new Map(),
    });
    expect(requestsOnly.map((o) => o.spec)).toEqual([
      { limits: [{ type: 'Container', defaultRequest: { memory: '64Mi' } }] },
    ]);
  });

  test('namespaces in no project, or whose project sets nothing, get nothing', () => {
    const namespaces = new Set(desiredQuotaObjects(input).map((o) => o.metadata.namespace));
    expect(namespaces.has('loose')).toBe(false);
    expect(namespaces.has('plain')).toBe(false);
    expect(namespaces.has('unknown-project')).toBe(false);
  });

  test('output does not depend on input order', () => {
    const reversed = { ...input, namespaces: [...input.namespaces].reverse() };
    expect(JSON.stringify(desiredQuotaObjects(reversed))).toBe(JSON.stringify(desiredQuotaObjects(input)));
  });
});
