import { f } from '../fields.js';
import { defineType } from '../schema.js';
import { MANAGEMENT_GROUP, policyRule } from './common.js';

export const roleTemplate = defineType({
  id: 'roleTemplate',
  plural: 'roleTemplates',
  idPrefix: 'rt-',
  fields: {
    name: f.string({ required: true, maxLength: 256 }),
    description: f.string({ maxLength: 1024 }),
    context: f.enum(['cluster', 'project'], { required: true, update: false }),
    rules: f.array(f.object(policyRule), { default: [] }),
    roleTemplateIds: f.array(f.ref('roleTemplate'), { default: [] }),
    builtin: f.boolean({ readOnly: true }),
    external: f.boolean({ default: false }),
    hidden: f.boolean({ default: false }),
    locked: f.boolean({ default: false }),
    administrative: f.boolean({ default: false }),
    clusterCreatorDefault: f.boolean({ default: false }),
    projectCreatorDefault: f.boolean({ default: false }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'context', 'builtin'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'roletemplates' },
});
