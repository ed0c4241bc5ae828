// Package seqcls is sequence classification (single texts or pairs such as
// PubMedQA question + context) with a BERT sequence-classification head:
// featurizing data.Example rows, collating batches, the train.Task the
// Trainer optimises, inference (logits, probabilities) and the evaluation
// report.
package seqcls

import (
	"fmt"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
)

// Features is one tokenized example: [CLS] a [SEP] (b [SEP]) ids and
// segment ids, truncated but not padded (batches pad to their longest
// row). Label is the class id, -1 for unlabelled input. Tokens is the
// length before truncation, so Tokens > len(IDs) means the input was cut.
type Features struct {
	IDs, TypeIDs []int
	Label        int
	Tokens       int
}

// Truncated reports whether the input was longer than the encoding.
func (f *Features) Truncated() bool { return f.Tokens > len(f.IDs) }

// Encode tokenizes one input with [CLS]/[SEP] and longest-first truncation
// to maxLen tokens (HF's default for pairs), no padding. pair "" is a
// single text. The label is -1.
func Encode(tok *tokenize.Tokenizer, text, pair string, maxLen int) (Features, error) {
	var opt tokenize.Options
	e, err := encode(tok, text, pair, opt)
	if err != nil {
		return Features{}, err
	}
	n := e.Len()
	if n > maxLen {
		opt = tokenize.Options{MaxLength: maxLen, Truncation: tokenize.LongestFirst}
		if e, err = encode(tok, text, pair, opt); err != nil {
			return Features{}, err
		}
	}
	return Features{IDs: e.IDs, TypeIDs: e.TypeIDs, Label: -1, Tokens: n}, nil
}

func encode(tok *tokenize.Tokenizer, text, pair string, opt tokenize.Options) (tokenize.Encoding, error) {
	if pair == "" {
		return tok.Encode(text, opt)
	}
	return tok.EncodePair(text, pair, opt)
}

// Featurize tokenizes labelled examples once, up front, so epochs do not
// repeat the work. A label the vocabulary does not know is an error naming
// the example's file and line.
func Featurize(tok *tokenize.Tokenizer, labels *data.Labels, exs []data.Example, maxLen int) ([]Features, error) {
	ids, err := labels.Encode(exs)
	if err != nil {
		return nil, err
	}
	out := make([]Features, len(exs))
	for i, e := range exs {
		f, err := Encode(tok, e.Text, e.TextPair, maxLen)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Pos, err)
		}
		f.Label = ids[i]
		out[i] = f
	}
	return out, nil
}

// Collate pads features to the longest row: input ids with padID,
// attention mask 1 for real tokens, token type 0 for pads (HF
// DataCollatorWithPadding).
func Collate(fs []Features, padID int) *bert.Input {
	s := 0
	for _, f := range fs {
		s = max(s, len(f.IDs))
	}
	in := &bert.Input{Batch: len(fs), Seq: s,
		InputIDs: make([]int, len(fs)*s), AttentionMask: make([]int, len(fs)*s), TokenTypeIDs: make([]int, len(fs)*s)}
	for b, f := range fs {
		row := in.InputIDs[b*s : (b+1)*s]
		copy(row, f.IDs)
		for j := len(f.IDs); j < s; j++ {
			row[j] = padID
		}
		copy(in.TokenTypeIDs[b*s:], f.TypeIDs)
		for j := range f.IDs {
			in.AttentionMask[b*s+j] = 1
		}
	}
	return in
}

// Labels returns the label ids of features, in order.
func Labels(fs []Features) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.Label
	}
	return out
}
