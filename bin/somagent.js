#!/usr/bin/env node
// Installed entry of the `somagent` CLI: runs the TypeScript sources through tsx so the CLI works
// straight from a clone, without a build step.
require('tsx/cjs');
require('../services/cli/main.ts');
