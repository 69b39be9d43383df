/**
 * Micro-benchmarks the harness is meant to have but whose code is not written yet. Each is
 * reported as skipped; registering a real benchmark under the same name (from another file
 * in bench/micro/) replaces the placeholder.
 */
import { registerMicro } from '../micro.ts';

const PLANNED: ReadonlyArray<readonly [string, string, string]> = [
  ['engine.route.lua', 'one ksr_request_route call in the Lua engine', 'needs the Lua engine'],
  [
    'engine.route.python',
    'one ksr_request_route call in the Python engine',
    'needs the Python engine',
  ],
  ['engine.route.js', 'one ksr_request_route call in the JS engine', 'needs the JS engine'],
  ['tm.transaction', 'create and destroy one server transaction', 'needs the tm module'],
];

for (const [name, description, need] of PLANNED) {
  registerMicro({
    name,
    description,
    placeholder: true,
    prepare: () => Promise.resolve({ skip: `not yet implemented (${need})` }),
  });
}
