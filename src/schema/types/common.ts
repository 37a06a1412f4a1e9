import { defineSubtype } from '../schema.js';

export const MANAGEMENT_GROUP = 'management.cattle.io';

export const policyRule = defineSubtype({
  id: 'policyRule',
  fields: {
    apiGroups: { type: 'array[string]' },
    resources: { type: 'array[string]' },
    resourceNames: { type: 'array[string]' },
    nonResourceURLs: { type: 'array[string]' },
    verbs: { type: 'array[string]', required: true },
  },
});
