// Package data reads labelled text for fine-tuning and evaluation and
// prepares it: JSONL, CSV/TSV, PubMedQA JSON and CoNLL-style BIO files;
// whitespace normalisation; a label vocabulary (id2label); stratified,
// seeded train/validation/test splits; and a dataset summary.
//
// # Bad rows are never dropped silently
//
// A row that cannot be used (invalid JSON, a missing or empty field, a
// wrong column count, an invalid BIO tag) is a *RowError naming
// file:line and the field. By default the first one stops reading. With
// Options.SkipBadRows the row is skipped and counted in Skipped, which
// keeps the first errors so the caller can show them; the caller must
// report Skipped.Count (String gives a one-line summary).
//
// The package stands alone: it imports nothing from the engine, and length
// statistics take a length function so the trainer can pass a tokenizer.
package data
