#!/usr/bin/env node
// The aegisc executable: runs the compiled CLI (dist/, made by `npm run build`, which `npm ci` and `npm pack` run).
import "../dist/compiler/main.js";
