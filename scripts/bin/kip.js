#!/usr/bin/env node
// The kip command. A plain JavaScript shim, committed rather than built, so that npm can link it
// when it installs, before 'prepare' has compiled the CLI this loads: the CLI's one-file bundle
// (npm run build), which starts in about half the time of its ~200 modules.
import { runFromProcess } from '../dist/bundle/kip.js';

runFromProcess();
