#!/usr/bin/env node
/*
 * The `dkeyserv` command (`npx dkeyserv …` at the repository root, or on the PATH after
 * `npm link packages/cli`). It is a file of its own, not dist/main.js, because npm links a
 * workspace's bin into node_modules/.bin at `npm ci` only if the file exists then, before
 * `npm run build` has made dist/.
 */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (existsSync(main)) {
  require(main).run();
} else {
  process.stderr.write(`dkeyserv: ${main} is missing: run 'npm run build' at the repository root first\n`);
  process.exitCode = 1;
}
