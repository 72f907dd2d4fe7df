export { Stack, type StackOptions, type ServiceName } from './stack';
export { startFerretDB, ensurePostgresDatabase, FERRETDB_BIN, REPO_ROOT, type FerretBackend } from './ferretdb';
export { spawnManaged, stopProcess, type ManagedProcess } from './process';
export { freePort, canConnect, waitForPort } from './ports';
export { deleteKeys, removeNamespace } from './cleanup';
export {
  startDevStore,
  sqliteBytes,
  postgresDatabaseBytes,
  postgresTablesBytes,
  dropPostgresDatabase,
  DEFAULT_POSTGRES_SERVER,
  SQLITE_WARNING,
  type DevStore,
  type StoreBackend,
} from './dev-store';
export { ensureFerretDB, findGo, FERRETDB_VERSION } from './ferretdb-build';
export { redactUrl, postgresRefusal, ferretSqliteUrl, LOOKUP_INDEXES_SQL } from './ferretdb';
export { SqliteUpkeep, idLookupIndexSql } from './sqlite-upkeep';
export { ensureChromium, findChromium, CHROMIUM_INSTALL } from './chromium';
