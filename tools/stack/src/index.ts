export { Stack, type StackOptions, type ServiceName } from './stack';
export { startFerretDB, ensurePostgresDatabase, FERRETDB_BIN, REPO_ROOT, type FerretBackend } from './ferretdb';
export { spawnManaged, stopProcess, type ManagedProcess } from './process';
export { freePort, canConnect, waitForPort } from './ports';
export { deleteKeys, removeNamespace } from './cleanup';
