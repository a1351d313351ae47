#!/usr/bin/env node
// `npm run build` compiles TypeScript into dist/; this copies the files the code reads at run time
// next to it (migrations, the default constitution, the capsule library), so dist/ runs alone.
const { cpSync, existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ASSET = /\.(sql|json|ya?ml|md|proto)$/;
const SOURCE_FOLDERS = ['services', 'constitution', 'capsules', 'workflows', 'activities', 'workers'];

function copyAssets(folder) {
  for (const entry of readdirSync(folder)) {
    const from = path.join(folder, entry);
    if (statSync(from).isDirectory()) copyAssets(from);
    else if (ASSET.test(entry)) cpSync(from, path.join(root, 'dist', path.relative(root, from)));
  }
}

for (const folder of SOURCE_FOLDERS) {
  const abs = path.join(root, folder);
  if (existsSync(abs)) copyAssets(abs);
}
