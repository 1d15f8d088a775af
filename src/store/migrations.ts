/** Schema steps; index i takes user_version i to i + 1. Append only. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE volumes (
     name        TEXT PRIMARY KEY,
     type        TEXT NOT NULL,
     options     TEXT NOT NULL,
     created_at  TEXT NOT NULL,
     backend_key TEXT
   );
   CREATE INDEX volumes_by_backend ON volumes (backend_key) WHERE backend_key IS NOT NULL;
   CREATE TABLE mount_refs (
     volume   TEXT NOT NULL REFERENCES volumes (name),
     mount_id TEXT NOT NULL,
     count    INTEGER NOT NULL CHECK (count > 0),
     PRIMARY KEY (volume, mount_id)
   ) WITHOUT ROWID;`,
  // Counts per dockerd lifetime (one more at every Plugin.Activate): after dockerd restarts,
  // what was counted before is told apart from what its new lifetime mounts.
  `CREATE TABLE mount_refs_by_lifetime (
     volume     TEXT NOT NULL REFERENCES volumes (name),
     mount_id   TEXT NOT NULL,
     lifetime   INTEGER NOT NULL,
     count      INTEGER NOT NULL CHECK (count > 0),
     changed_at INTEGER NOT NULL,
     PRIMARY KEY (volume, mount_id, lifetime)
   ) WITHOUT ROWID;
   INSERT INTO mount_refs_by_lifetime (volume, mount_id, lifetime, count, changed_at) SELECT volume, mount_id, 0, count, 0 FROM mount_refs;
   DROP TABLE mount_refs;
   ALTER TABLE mount_refs_by_lifetime RENAME TO mount_refs;
   CREATE TABLE docker_lifetime (
     only     INTEGER PRIMARY KEY CHECK (only = 1),
     lifetime INTEGER NOT NULL
   );
   INSERT INTO docker_lifetime (only, lifetime) VALUES (1, 0);`,
  // Volumes shared by many hosts: a record says its access mode and the host that created it;
  // store_meta holds this database's role (the etcd store keeps its per-host part here).
  `ALTER TABLE volumes ADD COLUMN access TEXT;
   ALTER TABLE volumes ADD COLUMN host TEXT;
   CREATE TABLE store_meta (
     key   TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;`,
];
