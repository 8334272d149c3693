// Builds the committed bundles from src/ with the pinned esbuild (package-lock.json):
//   ../assets/console.js                      the console's page (React + RJSF)
//   ../tests/forms-harness/forms-harness.js   the forms render harness the browser tests load
//                                             (RJSF and JSON Forms side by side)
// The output depends only on the sources and the locked packages, so CI rebuilds it and
// checks that the committed files are the same (scripts/check-console-bundle).
import { build } from 'esbuild';

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  loader: { '.js': 'jsx' },
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['src/console/main.jsx'], outfile: '../assets/console.js' });
await build({
  ...common,
  entryPoints: ['src/harness/main.jsx'],
  outfile: '../tests/forms-harness/forms-harness.js',
});
