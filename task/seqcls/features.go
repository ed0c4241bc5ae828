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
// single text. The label is -1. Each text is first cut to what maxLen
// tokens can use (tokenize.CutForTokens), so a huge input costs no more
// than a long one; Tokens is then at least maxLen+1, not the full length.
func Encode(tok *tokenize.Tokenizer, text, pair string, maxLen int) (Features, error) {
	ct, cp := tok.CutForTokens(text, maxLen), tok.CutForTokens(pair, maxLen)
	cut := len(ct) < len(text) || len(cp) < len(pair)
	var opt tokenize.Options
	e, err := encode(tok, ct, cp, opt)
	if err != nil {
		return Features{}, err
	}
	n := e.Len()
	if n > maxLen {
		opt = tokenize.Options{MaxLength: maxLen, Truncation: tokenize.LongestFirst}
		if e, err = encode(tok, ct, cp, opt); err != nil {
			return Features{}, err
		}
	}
	if cut {
		n = max(n, maxLen+1)
	}
	return Features{IDs: e.IDs, TypeIDs: e.TypeIDs, Label: -1, Tokens: n}, nil
}

// EncodeWindows tokenizes one input into overlapping windows of at most
// maxLen tokens each, consecutive windows sharing stride tokens (HF
// return_overflowing_tokens), so a long note is read whole rather than cut
// after maxLen tokens. A single text is windowed; of a pair the second text
// (the context) is, each window repeating the first. At most maxWindows
// windows are made (the text is cut before tokenization to what they can
// hold). An input that fits gives one window equal to Encode's; a pair whose
// first text leaves no room for windows falls back to Encode's single
// truncated window. Every window's Tokens is the input's length (of the
// text cut for MaxWindows windows).
func EncodeWindows(tok *tokenize.Tokenizer, text, pair string, maxLen, stride, maxWindows int) ([]Features, error) {
	one, err := Encode(tok, text, pair, maxLen)
	if err != nil || !one.Truncated() || maxWindows <= 1 {
		return []Features{one}, err
	}
	room := maxLen - 2
	trunc := tokenize.OnlyFirst
	if pair == "" {
		text = tok.CutForTokens(text, maxWindows*maxLen)
	} else {
		text = tok.CutForTokens(text, maxLen)
		pair = tok.CutForTokens(pair, maxWindows*maxLen)
		room = maxLen - 3 - len(tok.Tokenize(text))
		trunc = tokenize.OnlySecond
	}
	if room < 2 {
		return []Features{one}, nil
	}
	stride = min(max(stride, 0), room/2)
	e, err := encode(tok, text, pair, tokenize.Options{MaxLength: maxLen, Truncation: trunc, Stride: stride, ReturnOverflowing: true})
	if err != nil {
		return nil, err
	}
	// The input's length: the first window plus what each later one adds.
	n := e.Len()
	for _, w := range e.Overflowing {
		n += w.Len() - (maxLen - room) - stride
	}
	encs := append([]tokenize.Encoding{e}, e.Overflowing...)
	out := make([]Features, 0, min(len(encs), maxWindows))
	for _, w := range encs[:min(len(encs), maxWindows)] {
		out = append(out, Features{IDs: w.IDs, TypeIDs: w.TypeIDs, Label: -1, Tokens: n})
	}
	return out, nil
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
	rows := make([]bert.Row, len(fs))
	for i, f := range fs {
		rows[i] = bert.Row{IDs: f.IDs, TypeIDs: f.TypeIDs}
	}
	return bert.PadBatch(rows, padID, 1, 0)
}

// Labels returns the label ids of features, in order.
func Labels(fs []Features) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.Label
	}
	return out
}
