// Package serve is medbert's production HTTP service: POST /diagnose and
// /v1/models/{name}:predict over one or more loaded classifiers, with dynamic
// micro-batching, request limits, bearer-token auth, TLS (optionally mutual),
// an audit record per decision, Prometheus metrics and an embedded OpenAPI 3
// document.
//
// The package programs against two small interfaces so it does not depend on
// how a model is loaded or how decisions are stored: a [Classifier] (the
// inference bundle, through a thin adapter) and an [Auditor] (the signed,
// hash-chained decision log). cmd/medbert only parses flags into a [Config]
// (see [BindFlags]) and calls [ListenAndServe].
//
// Patient text never reaches a log line, an error message or a metric label:
// the access log has method, path, status, latency and request id; error
// bodies name the offending field, never its value.
package serve
