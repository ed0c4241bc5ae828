package tokencls

import (
	"fmt"
	"sort"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
)

// Options control featurizing, training batches and inference. The zero
// value takes the defaults.
type Options struct {
	// MaxLength is the window length in tokens, [CLS] and [SEP] included;
	// default 128.
	MaxLength int
	// Stride is the number of tokens consecutive windows share; default
	// (MaxLength-2)/4. Only texts longer than one window use it.
	Stride int
	// LabelAllTokens labels every piece of a word (B-X becomes I-X on the
	// continuation pieces, HF run_ner's label_all_tokens); by default only
	// the first piece carries the word's tag and the rest are ignored.
	LabelAllTokens bool
	// BatchSize is the inference batch size; default 8.
	BatchSize int
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxLength == 0 {
		o.MaxLength = 128
	}
	if o.MaxLength < 3 {
		return o, fmt.Errorf("max length %d leaves no room for tokens after [CLS] and [SEP]", o.MaxLength)
	}
	if o.Stride == 0 {
		o.Stride = (o.MaxLength - 2) / 4
	}
	if o.Stride < 0 || o.Stride >= o.MaxLength-2 {
		return o, fmt.Errorf("stride %d must be in [0, %d) for max length %d", o.Stride, o.MaxLength-2, o.MaxLength)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	return o, nil
}

// Feature is one window of one sentence, ready for the model.
type Feature struct {
	IDs, TypeIDs []int
	// Labels are the label ids per position: bert.IgnoreIndex on special
	// tokens, on continuation pieces (unless LabelAllTokens) and
	// everywhere for untagged input.
	Labels []int
	// Sentence is the index of the source sentence or text.
	Sentence int
	// Words is the word index of each position, -1 on [CLS]/[SEP].
	Words []int
	// First is the index, in the sentence's whole token sequence, of the
	// window's first text token (position 1).
	First int
	// Offsets are the byte ranges of the positions in the encoded text.
	Offsets [][2]int
	// Tokens are the WordPiece tokens, to tell continuation pieces.
	Tokens []string
}

// encoded is one text cut into windows.
type encoded struct {
	windows []tokenize.Encoding
	firsts  []int // absolute index of each window's first text token
}

// encodeWindows tokenizes text into windows of opt.MaxLength tokens that
// share opt.Stride tokens, as the tokenizer cuts overflowing windows.
func encodeWindows(tok *tokenize.Tokenizer, text string, opt Options) (encoded, error) {
	e, err := tok.Encode(text, tokenize.Options{
		MaxLength: opt.MaxLength, Truncation: tokenize.LongestFirst,
		Stride: opt.Stride, ReturnOverflowing: true,
	})
	if err != nil {
		return encoded{}, err
	}
	flat, _ := tokenize.Flatten([]tokenize.Encoding{e})
	step := opt.MaxLength - 2 - opt.Stride
	out := encoded{windows: flat, firsts: make([]int, len(flat))}
	for k := range flat {
		out.firsts[k] = k * step
	}
	return out, nil
}

// joinWords lays the words out as one text separated by single spaces and
// returns each word's byte start, so tokens map back to words by offset.
func joinWords(words []string) (string, []int) {
	var b strings.Builder
	starts := make([]int, len(words))
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		starts[i] = b.Len()
		b.WriteString(w)
	}
	return b.String(), starts
}

// wordOf returns the index of the word holding byte position p.
func wordOf(starts []int, p int) int {
	return sort.SearchInts(starts, p+1) - 1
}

// Featurize tokenizes sentences into windows and aligns their tags to
// pieces. label2id maps tag names to ids; a tag it does not know is an
// error naming the sentence's file and line. Sentences without tags get
// only ignored labels.
func Featurize(tok *tokenize.Tokenizer, sents []data.Sentence, label2id map[string]int, opt Options) ([]Feature, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	var out []Feature
	for si, s := range sents {
		text, starts := joinWords(s.Tokens)
		enc, err := encodeWindows(tok, text, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Pos, err)
		}
		var ids []int
		if s.Tags != nil {
			if len(s.Tags) != len(s.Tokens) {
				return nil, fmt.Errorf("%s: %d tags for %d tokens", s.Pos, len(s.Tags), len(s.Tokens))
			}
			ids = make([]int, len(s.Tags))
			for i, t := range s.Tags {
				id, ok := label2id[t]
				if !ok {
					return nil, fmt.Errorf("%s: tag %q is not one of the model's labels", s.Pos, t)
				}
				ids[i] = id
			}
		}
		words, labels, err := alignWords(enc, starts, ids, s.Tags, label2id, opt.LabelAllTokens)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Pos, err)
		}
		for k, w := range enc.windows {
			f := Feature{IDs: w.IDs, TypeIDs: w.TypeIDs, Sentence: si, First: enc.firsts[k],
				Offsets: w.Offsets, Tokens: w.Tokens,
				Words: make([]int, w.Len()), Labels: make([]int, w.Len())}
			for j := range f.Words {
				f.Words[j], f.Labels[j] = -1, bert.IgnoreIndex
				if w.SequenceIDs[j] == 0 {
					a := f.First + j - 1
					f.Words[j], f.Labels[j] = words[a], labels[a]
				}
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// alignWords gives every text token of the whole sequence its word index
// and label: the word's tag on its first piece, on the other pieces
// bert.IgnoreIndex (or, with all, the continuation label). ids nil means
// untagged. Windows must tile the sequence as encodeWindows computed.
func alignWords(enc encoded, starts, ids []int, tags []string, label2id map[string]int, all bool) (words, labels []int, err error) {
	for k, w := range enc.windows {
		for j := range w.IDs {
			if w.SequenceIDs[j] != 0 {
				continue
			}
			a := enc.firsts[k] + j - 1
			if a < len(words) {
				continue // shared with the previous window
			}
			if a > len(words) {
				return nil, nil, fmt.Errorf("window %d starts at token %d but %d tokens precede it", k, enc.firsts[k], len(words))
			}
			wd := wordOf(starts, w.Offsets[j][0])
			lab := bert.IgnoreIndex
			if ids != nil {
				switch {
				case len(words) == 0 || words[len(words)-1] != wd:
					lab = ids[wd]
				case all:
					lab = continuationLabel(tags[wd], ids[wd], label2id)
				}
			}
			words = append(words, wd)
			labels = append(labels, lab)
		}
	}
	return words, labels, nil
}

// continuationLabel is the label of a word's later pieces under
// LabelAllTokens: B-X becomes I-X when the labels have it (HF run_ner's
// b_to_i_label).
func continuationLabel(tag string, id int, label2id map[string]int) int {
	if strings.HasPrefix(tag, "B-") {
		if i, ok := label2id["I-"+tag[2:]]; ok {
			return i
		}
	}
	return id
}

// collate pads features to the longest row rounded up to a multiple of
// padMultiple but not past limit (bert.PadBatch) and returns the batch with
// its flat labels (ignored on pads, and everywhere for features without
// labels).
func collate(fs []*Feature, padID, padMultiple, limit int) (*bert.Input, []int) {
	rows := make([]bert.Row, len(fs))
	for i, f := range fs {
		rows[i] = bert.Row{IDs: f.IDs, TypeIDs: f.TypeIDs}
	}
	in := bert.PadBatch(rows, padID, padMultiple, limit)
	labels := make([]int, len(in.InputIDs))
	for i := range labels {
		labels[i] = bert.IgnoreIndex
	}
	for b, f := range fs {
		copy(labels[b*in.Seq:], f.Labels)
	}
	return in, labels
}

// trainPadMultiple rounds training batches up to a multiple of 8 tokens (HF
// pad_to_multiple_of=8): batches then come in a few lengths, so the
// activation buffers a step frees fit the next step's instead of piling up
// one set per sequence length.
const trainPadMultiple = 8
