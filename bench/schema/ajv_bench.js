#!/usr/bin/env node
// The anchor of bench/schema_vs_ajv.sh: Ajv 6 (Debian's node-ajv) on the files schema_bench
// reads (schema_fixture/), compiled once with allErrors false and Ajv's default formats, then
// each case run in a loop for a fixed time:
//
//   parse            JSON.parse of order.json
//   validate         validate of the parsed order.json
//   parse+validate   JSON.parse + validate of order.json (valid)
//   parse+invalid    JSON.parse + validate of order-invalid.json (stops at the first error)
//
//   node ajv_bench.js [--seconds 2] [--fixture DIR] [--json]
//
// Prints validations per second per case, or with --json one object {case: per_second}. Ajv is
// found through require('ajv'); Debian installs it under /usr/share/nodejs, which
// schema_vs_ajv.sh adds to NODE_PATH.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(status) {
  process.stderr.write('usage: ajv_bench.js [--seconds N] [--fixture DIR] [--json]\n');
  process.exit(status);
}

let seconds = 2;
let fixture = path.join(__dirname, 'schema_fixture');
let asJson = false;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--seconds' && i + 1 < process.argv.length) {
    seconds = Number(process.argv[++i]);
  } else if (arg === '--fixture' && i + 1 < process.argv.length) {
    fixture = process.argv[++i];
  } else if (arg === '--json') {
    asJson = true;
  } else if (arg === '-h' || arg === '--help') {
    usage(0);
  } else {
    usage(2);
  }
}
if (!(seconds > 0)) usage(2);

let Ajv;
try {
  Ajv = require('ajv');
} catch (e) {
  process.stderr.write(`ajv_bench: cannot load Ajv (${e.message.split('\n')[0]}); ` +
                       'Debian: apt-get install node-ajv, and NODE_PATH=/usr/share/nodejs\n');
  process.exit(2);
}

const read = (name) => fs.readFileSync(path.join(fixture, name), 'utf8');
const schema = JSON.parse(read('order.schema.json'));
const valid = read('order.json');
const invalid = read('order-invalid.json');

const ajv = new Ajv({allErrors: false});
const validate = ajv.compile(schema);

// The documents must be what their names say, on this side too.
if (!validate(JSON.parse(valid))) {
  process.stderr.write(`ajv_bench: order.json is invalid: ${ajv.errorsText(validate.errors)}\n`);
  process.exit(1);
}
if (validate(JSON.parse(invalid))) {
  process.stderr.write('ajv_bench: order-invalid.json is valid\n');
  process.exit(1);
}

// Calls `body` in batches until `seconds` have passed; returns calls per second. A result is
// folded into `sink` so that no call can be optimized away.
let sink = 0;
function measure(body) {
  for (let i = 0; i < 2000; i++) sink += body() ? 1 : 0;  // warm up the JIT
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 1000; i++) sink += body() ? 1 : 0;
    calls += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  return calls / (Number(elapsed) / 1e9);
}

const parsedValid = JSON.parse(valid);
const results = {
  'parse': measure(() => JSON.parse(valid) !== null),
  'validate': measure(() => validate(parsedValid)),
  'parse+validate': measure(() => validate(JSON.parse(valid))),
  'parse+invalid': measure(() => !validate(JSON.parse(invalid))),
};

if (asJson) {
  process.stdout.write(JSON.stringify({ajv: require('ajv/package.json').version, node: process.version,
                                       sink, results}) + '\n');
} else {
  for (const [name, perSecond] of Object.entries(results)) {
    process.stdout.write(`${name.padEnd(16)} ${Math.round(perSecond).toString().padStart(10)} /s\n`);
  }
}
