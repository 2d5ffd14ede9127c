#!/usr/bin/env node
// Entry point for `npx crossroads ...`. npm puts the project's pinned Node 26 first on the PATH,
// which runs the TypeScript sources directly (type stripping).
import '../src/cli.ts';
