export const PROJECT_ID_LABEL = 'cattle.io/projectId';

export const clusterOfProject = (projectId: string) => projectId.split(':')[0]!;
export const shortProjectId = (projectId: string) => projectId.split(':')[1] ?? projectId;
