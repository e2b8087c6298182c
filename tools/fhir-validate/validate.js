#!/usr/bin/env node
// Validates FHIR R4 JSON files (a Bundle or a single resource) against the
// official FHIR R4 JSON schema, with @asymmetrik/fhir-json-schema-validator
// (pinned in package-lock.json). Each entry of a Bundle is validated on its
// own as well, so an error names the entry and its resource type.
// Usage: node validate.js FILE...; exit status 1 when any error is found.
'use strict';
const fs = require('fs');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const validator = new JSONSchemaValidator();
let files = 0;
let resources = 0;
let errors = 0;

function report(where, errs) {
  for (const e of errs) {
    errors++;
    const text = typeof e === 'string' ? e : `${e.dataPath || '(root)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`;
    console.log(`${where}: ${text}`);
  }
}

for (const file of process.argv.slice(2)) {
  files++;
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    report(file, [`not JSON: ${err.message}`]);
    continue;
  }
  resources++;
  report(file, validator.validate(doc));
  if (doc.resourceType === 'Bundle' && Array.isArray(doc.entry)) {
    doc.entry.forEach((entry, i) => {
      if (entry && entry.resource) {
        resources++;
        report(`${file} entry ${i + 1} (${entry.resource.resourceType})`, validator.validate(entry.resource));
      }
    });
  }
}
console.log(`fhir-validate: ${files} files, ${resources} resources, ${errors} errors`);
process.exit(errors > 0 || files === 0 ? 1 : 0);
