import { describe, expect, test } from 'vitest';
import { atField } from './http';

describe('API messages beside their input', () => {
  test('the field path the API starts with is left out: the label says it', () => {
    expect(atField('importedConfig.kubeConfig', 'importedConfig.kubeConfig is not a usable kubeconfig: bad')).toBe(
      'not a usable kubeconfig: bad',
    );
    expect(atField('name', 'name must be a Kubernetes name')).toBe('must be a Kubernetes name');
    expect(atField('name', 'name is required')).toBe('required');
    expect(atField('limit.pods', 'limit.pods (20) is over the limit')).toBe('This value (20) is over the limit');
    // A message about something else is kept whole.
    expect(atField('name', 'cluster Corral already has a cluster named "prod"')).toBe(
      'cluster Corral already has a cluster named "prod"',
    );
  });
});
