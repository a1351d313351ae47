#!/usr/bin/env node
// Installed entry of the `somagent` CLI: runs the TypeScript sources through tsx so the CLI works
// straight from a clone, without a build step. It calls runCli() explicitly, because npm and npx
// start this file through links (node_modules/.bin/somagent, a global bin) under other names.
'use strict';
require('tsx/cjs');
const { runCli } = require('../services/cli/main.ts');

void runCli(process.argv);
