/**
 * The KSR case tests (test/ksr/cases.{lua,py,js}) against each engine: same requests, same
 * expected bytes.
 */
import test from 'ava';
import { defineKsrCases } from './ksr-cases.ts';
import { selectedLangs } from './langs.ts';

for (const lang of selectedLangs()) defineKsrCases(test, lang);
