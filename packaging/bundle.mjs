// `npm run build`, after tsc: the daemon and CLI as one file (dist/volplex.js) and the command
// helper beside it (dist/command-helper.js), so that start-up reads two files, not hundreds.
// better-sqlite3 stays external: it is a native addon loaded from node_modules.
import { readFile } from 'node:fs/promises';
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

await build({
  entryPoints: { volplex: join(dist, 'src/cli/main.js'), 'command-helper': join(dist, 'src/system/command-helper.js') },
  outdir: dist,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['better-sqlite3'],
  plugins: [configPath],
  // Some dependencies are CommonJS and call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __volplexCreateRequire } from 'node:module'; const require = __volplexCreateRequire(import.meta.url);" },
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
