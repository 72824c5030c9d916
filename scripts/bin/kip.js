#!/usr/bin/env node
// The kip command. A plain JavaScript shim, committed rather than built, so that npm can link it
// when it installs, before 'prepare' has compiled the CLI this loads.
import { runFromProcess } from '../dist/kip/main.js';

runFromProcess();
