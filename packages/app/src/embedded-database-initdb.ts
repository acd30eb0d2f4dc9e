// Forked by `startEmbeddedDatabase` (embedded-database.ts) with a data directory that has no
// database yet: PGlite runs initdb when it opens such a directory, and the database is closed
// again at once. The parent, which holds the directory's lock, opens it afterwards.
// Arguments: the data directory, `shared_buffers` in MiB. Exit 0 when done; the error on stderr.
import process from 'node:process';
import { PGlite } from '@electric-sql/pglite';

const [dataDir, sharedBuffersMb] = process.argv.slice(2);
if (dataDir === undefined || sharedBuffersMb === undefined || !/^\d+$/.test(sharedBuffersMb)) {
  process.stderr.write('usage: embedded-database-initdb.js <data directory> <shared_buffers in MiB>\n');
  process.exit(2);
}
try {
  const setting = `shared_buffers=${sharedBuffersMb}MB`;
  // initdb writes the setting into postgresql.conf and runs its own backends with it too.
  const db = await PGlite.create(dataDir, {
    initDbStartParams: ['-c', setting],
    startParams: [...PGlite.defaultStartParams, '-c', setting],
  });
  await db.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
