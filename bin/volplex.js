#!/usr/bin/env node
import '../dist/volplex.js';
