import { f } from '../fields.js';
import { defineSubtype } from '../schema.js';

export const MANAGEMENT_GROUP = 'management.cattle.io';

export const policyRule = defineSubtype({
  id: 'policyRule',
  fields: {
    apiGroups: f.array(f.string()),
    resources: f.array(f.string()),
    resourceNames: f.array(f.string()),
    nonResourceURLs: f.array(f.string()),
    verbs: f.array(f.string(), { required: true }),
  },
});
