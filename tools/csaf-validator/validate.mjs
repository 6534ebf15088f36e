#!/usr/bin/env node
// Run the BSI CSAF validator library over CSAF 2.0 documents and print JSON results.
//
// Usage:
//   node validate.mjs [--schema strict|plain|none] [--informational] [FILE ...]
//   node validate.mjs [options] < input.json
//
// Input: each FILE is read as one CSAF document. Without FILEs, standard input is read:
// a JSON object is one document; a JSON array is a batch of documents (one Node start
// for many documents keeps the Python test suite fast).
//
// Output (stdout, one JSON value):
//   single document: {"isValid": bool, "tests": [{"name", "isValid", "errors", ...}]}
//   several (array input or several files):
//     [{"source": "<path or index>", "isValid": bool, "tests": [...]}, ...]
// Only tests that failed or produced messages are listed in "tests", so output stays
// small; "ran" gives the names of every test run.
//
// Exit status: 0 when every document passed, 1 when any failed, 2 on usage or I/O
// errors (unreadable file, input that is not JSON).
//
// The tests run are the CSAF 2.0 schema test ("csaf_2_0_strict" by default, which
// also rejects unknown properties; "--schema plain" uses the non-strict schema) and
// every mandatory test (6.1.1 - 6.1.33, including 6.1.8, the CVSS schema test).
// None of the mandatory tests reaches the network.

import { readFile } from 'node:fs/promises'
// validate.js, not validateStrict.js: the strict variant imports every optional and
// informative test just to check membership, which costs ~6 s per Node start. The test
// list here is fixed to the library's own exports, so the strict check adds nothing.
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import * as schemaTests from '@secvisogram/csaf-validator-lib/schemaTests.js'

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node validate.mjs [--schema strict|plain|none] [FILE ...] (or a JSON document / array on stdin)\n`
  )
  process.exit(2)
}

function parseArgs(argv) {
  const options = { schema: 'strict', files: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--schema') {
      const value = argv[++i]
      if (!['strict', 'plain', 'none'].includes(value)) usage(`bad --schema value: ${value}`)
      options.schema = value
    } else if (arg === '--help' || arg === '-h') {
      usage('Runs the BSI CSAF 2.0 schema and mandatory tests.')
    } else if (arg.startsWith('--')) {
      usage(`unknown option: ${arg}`)
    } else {
      options.files.push(arg)
    }
  }
  return options
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

function selectTests(schema) {
  const tests = Object.values(mandatory)
  if (schema === 'strict') tests.unshift(schemaTests.csaf_2_0_strict)
  if (schema === 'plain') tests.unshift(schemaTests.csaf_2_0)
  return tests
}

async function check(tests, doc, source) {
  const result = await validate(tests, doc)
  const noisy = result.tests.filter(
    (t) => !t.isValid || t.errors.length || t.warnings.length || t.infos.length
  )
  return {
    source,
    isValid: result.isValid,
    tests: noisy,
    ran: result.tests.map((t) => t.name),
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const tests = selectTests(options.schema)
  const inputs = []
  let batch = false
  try {
    if (options.files.length > 0) {
      batch = options.files.length > 1
      for (const file of options.files) {
        inputs.push({ source: file, doc: JSON.parse(await readFile(file, 'utf8')) })
      }
    } else {
      const parsed = JSON.parse(await readStdin())
      if (Array.isArray(parsed)) {
        batch = true
        parsed.forEach((doc, index) => inputs.push({ source: String(index), doc }))
      } else {
        inputs.push({ source: '-', doc: parsed })
      }
    }
  } catch (error) {
    process.stderr.write(`cannot read input: ${error.message}\n`)
    process.exit(2)
  }

  const results = []
  for (const { source, doc } of inputs) results.push(await check(tests, doc, source))
  const output = batch ? results : results[0]
  process.stdout.write(JSON.stringify(output) + '\n')
  process.exitCode = results.every((r) => r.isValid) ? 0 : 1
}

await main()
