import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const roleTemplate = defineType({
  id: 'roleTemplate',
  plural: 'roleTemplates',
  idPrefix: 'rt-',
  fields: {
    name: { type: 'string', required: true, maxLength: 256 },
    description: { type: 'string', maxLength: 1024 },
    context: { type: 'enum', options: ['cluster', 'project'], required: true, update: false },
    rules: { type: 'array[policyRule]', default: [] },
    roleTemplateIds: { type: 'array[reference[roleTemplate]]', default: [] },
    builtin: { type: 'boolean', create: false, update: false },
    external: { type: 'boolean', default: false },
    hidden: { type: 'boolean', default: false },
    locked: { type: 'boolean', default: false },
    administrative: { type: 'boolean', default: false },
    clusterCreatorDefault: { type: 'boolean', default: false },
    projectCreatorDefault: { type: 'boolean', default: false },
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'context', 'builtin'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'roletemplates' },
});
