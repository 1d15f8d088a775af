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
];
