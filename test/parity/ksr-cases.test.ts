/**
 * The KSR case tests (test/ksr/cases.{lua,py,js}) against each engine and placement: same
 * requests, same expected bytes.
 */
import test from 'ava';
import { defineKsrCases } from './ksr-cases.ts';
import { parityRuns } from './langs.ts';

for (const run of parityRuns()) defineKsrCases(test, run);
