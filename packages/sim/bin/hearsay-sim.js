#!/usr/bin/env node
// The package's bin: committed (not built), so that installing the workspace can link it
// before `tsc -b` has written dist/. It only loads the built CLI.
try {
  await import('../dist/cli.js')
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('hearsay-sim: not built yet: run `pnpm build` first\n')
    process.exit(1)
  }
  throw err
}
