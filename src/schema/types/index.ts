import type { TypeDef } from '../schema.js';
import {
  activeDirectoryConfig,
  authConfig,
  githubConfig,
  keyCloakOIDCConfig,
  oidcConfig,
  oktaConfig,
  openLdapConfig,
  shibbolethConfig,
} from './auth-config.js';
import { clusterAlertGroup, clusterAlertRule, notifier, projectAlertGroup, projectAlertRule } from './alerting.js';
import { app, appRevision, catalog, clusterCatalog, projectCatalog, template, templateVersion } from './catalog.js';
import { cluster, clusterRegistrationToken, clusterRoleTemplateBinding } from './cluster.js';
import './common.js';
import { namespace } from './namespace.js';
import { node } from './node.js';
import { pod } from './pod.js';
import { project, projectRoleTemplateBinding } from './project.js';
import { projectSecret } from './project-secret.js';
import { globalRole, globalRoleBinding } from './global-role.js';
import { principal } from './principal.js';
import { roleTemplate } from './role-template.js';
import { setting } from './setting.js';
import { token } from './token.js';
import { user } from './user.js';
import { workload } from './workload.js';

/** Every v3 type the server serves, in the order /v3 lists them. */
export const TYPES: TypeDef[] = [
  user,
  token,
  globalRole,
  globalRoleBinding,
  roleTemplate,
  setting,
  principal,
  authConfig,
  openLdapConfig,
  activeDirectoryConfig,
  oidcConfig,
  keyCloakOIDCConfig,
  githubConfig,
  shibbolethConfig,
  oktaConfig,
  cluster,
  clusterRegistrationToken,
  clusterRoleTemplateBinding,
  project,
  projectRoleTemplateBinding,
  projectSecret,
  namespace,
  node,
  workload,
  pod,
  catalog,
  clusterCatalog,
  projectCatalog,
  template,
  templateVersion,
  app,
  appRevision,
  notifier,
  clusterAlertGroup,
  clusterAlertRule,
  projectAlertGroup,
  projectAlertRule,
];

export {
  activeDirectoryConfig,
  authConfig,
  githubConfig,
  keyCloakOIDCConfig,
  oidcConfig,
  oktaConfig,
  openLdapConfig,
  clusterAlertGroup,
  clusterAlertRule,
  notifier,
  projectAlertGroup,
  projectAlertRule,
  shibbolethConfig,
  app,
  appRevision,
  catalog,
  clusterCatalog,
  projectCatalog,
  template,
  templateVersion,
  cluster,
  clusterRegistrationToken,
  clusterRoleTemplateBinding,
  globalRole,
  globalRoleBinding,
  namespace,
  node,
  pod,
  principal,
  project,
  projectRoleTemplateBinding,
  projectSecret,
  roleTemplate,
  setting,
  token,
  user,
  workload,
};
