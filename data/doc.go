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
// Every reader also counts lines in and rows out (Skipped.Lines, Rows,
// Blank; Summary prints them), so nothing vanishes unaccounted. TSV is
// read without quote processing (one line, one row: a lone `"` token is
// text) unless Options.Quoting asks for CSV quoting; a quoted field that
// would swallow following lines is an error naming its line even when
// skipping bad rows. A CoNLL token/tag file given to ParseExamples is
// recognised and refused with the NER suggestion. Rows longer than
// Options.MaxRowBytes, invalid UTF-8 and JSON labels of mixed kinds (1
// and "1") or booleans are bad rows.
//
// # No data in messages
//
// Errors name the file, line, field and what is wrong, never a value of
// the data (a note, an identifier, a label, a header cell of a file that
// has no header): messages end up in logs.
//
// The package stands alone: it imports nothing from the engine, and length
// statistics take a length function so the trainer can pass a tokenizer.
package data
