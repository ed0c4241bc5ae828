// Package vocab embeds the bert-base-cased WordPiece vocabulary (28,996
// entries; the same file BioBERT v1.1 and Bio_ClinicalBERT ship), gzipped,
// so `medbert quickstart` can build a tokenizer from the binary alone.
//
// Source: Google BERT (Apache-2.0), identical to testdata/vocab/bert-base-cased-vocab.txt
// (sha256 eeaa9875b23b04b4c54ef759d03db9d1ba1554838f8fb26c5d96fa551df93d02).
package vocab

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
)

//go:embed bert-base-cased-vocab.txt.gz
var casedGz []byte

// BertBaseCased returns the vocab.txt bytes (one token per line, id = line
// number). Each call decompresses a fresh copy.
func BertBaseCased() []byte {
	zr, err := gzip.NewReader(bytes.NewReader(casedGz))
	if err != nil {
		panic("vocab: embedded bert-base-cased vocabulary is corrupt: " + err.Error())
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("vocab: embedded bert-base-cased vocabulary is corrupt: " + err.Error())
	}
	return b
}
