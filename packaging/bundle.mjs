// `npm run build`, after tsc: the daemon and CLI bundled (dist/volplex.js with its chunks
// dist/chunk-*.js), the command helper (dist/command-helper.js) and the store's checkpoint worker
// (dist/wal-checkpoint-worker.js) beside it, so that start-up
// reads a few files, not hundreds. better-sqlite3 stays external: a native addon in node_modules;
// so does the etcd client, loaded only with store.kind etcd.
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const CONFIG_FROM_MODULE = '../../../config/default.yaml';
const CONFIG_FROM_BUNDLE = '../config/default.yaml';

/** The default configuration is found relative to the module that reads it: from dist/, one level up. */
const configPath = {
  name: 'default-config-path',
  setup(context) {
    context.onLoad({ filter: /[\\/]dist[\\/]src[\\/]config[\\/]load\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(CONFIG_FROM_MODULE)) {
        throw new Error(`${args.path} no longer names ${CONFIG_FROM_MODULE}: update packaging/bundle.mjs`);
      }
      return { contents: source.replace(CONFIG_FROM_MODULE, CONFIG_FROM_BUNDLE), loader: 'js' };
    });
  },
};

// Chunk names carry a hash of their content: those of an earlier build would stay behind.
for (const name of await readdir(dist)) {
  if (/^chunk-.*\.js(\.map)?$/.test(name)) {
    await rm(join(dist, name));
  }
}

await build({
  entryPoints: { volplex: join(dist, 'src/cli/main.js'), 'command-helper': join(dist, 'src/system/command-helper.js'), 'wal-checkpoint-worker': join(dist, 'src/store/wal-checkpoint-worker.js') },
  outdir: dist,
  // Chunks beside the entries (so that paths relative to a module hold for all): each is
  // read only when first imported, so the socket answers before the store and drivers load.
  splitting: true,
  chunkNames: 'chunk-[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // better-sqlite3: a native addon. iconv-lite and mime-db: express loads them before the socket
  // answers, and from node_modules they cost a fraction of their bundled text (iconv-lite reads its
  // encoding tables only when a charset is decoded; mime-db is JSON). etcd3 reads its .proto files
  // beside its own modules; cockatiel is its fault-handling library (one copy for both).
  external: ['better-sqlite3', 'iconv-lite', 'mime-db', 'etcd3', 'cockatiel'],
  plugins: [configPath],
  // Some dependencies are CommonJS and call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __volplexCreateRequire } from 'node:module'; const require = __volplexCreateRequire(import.meta.url);" },
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
