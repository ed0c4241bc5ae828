// Package cdshooks serves medbert classifiers as HL7 CDS Hooks 2.0.1
// services (https://cds-hooks.hl7.org/2.0/) with FHIR R4 resources in and
// out, so an EHR can call a model while a clinician opens a chart
// (patient-view) or signs a discharge (encounter-discharge) and show the
// answer as cards in its own screen.
//
// A Service is an http.Handler for three routes, mounted by the server on
// its mux:
//
//	GET  /cds-services               discovery: one service per model and hook
//	POST /cds-services/{id}          a hook call: notes in, cards out
//	POST /cds-services/{id}/feedback accepted / overridden, to Config.Audit
//
// Notes come from the "notes" prefetch (DocumentReference with inline
// base64 text/plain attachments, alone or in a searchset Bundle), or, when
// the EHR did not prefetch them, from its FHIR server with the bearer token
// it granted; with neither the call is answered 412 as the specification
// requires.
//
// Every note is scored on its own (cached by the SHA-256 of model and
// text, so a re-opened chart costs no inference) and the per-label score
// of the call is the maximum over notes: a diagnosis is usually written in
// one note (a discharge summary, a radiology report) and a mean would
// dilute it with every unrelated nursing note of the same stay.
//
// Every route demands the EHR's signed JWT (ES384 or RS384, issuer in the
// allow-list, key by kid from that issuer's JWKS file, aud equal to the
// service URL, exp/iat checked, jti never replayed). Any failure is a 401
// with a generic body; the reason goes to Config.Logf and never the token
// or patient data.
//
// The cards are decision support for review by a qualified clinician: the
// suggestions create a provisional Condition and a preliminary
// RiskAssessment, never a confirmed diagnosis.
package cdshooks
