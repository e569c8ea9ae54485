// Loads CommonJS dependencies with require(): importing one from ESM makes Node scan its whole source for export names first (cjs-module-lexer), which for refa's single 1 MB file costs more than running it.

import { createRequire } from "node:module";

export const requireCjs = createRequire(import.meta.url);
