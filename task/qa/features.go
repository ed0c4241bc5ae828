package qa

import (
	"fmt"
	"unicode/utf8"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Options control encoding, training batches and post-processing. The
// zero value takes the defaults (HF run_qa's).
type Options struct {
	// MaxLength is the window length in tokens, question and special
	// tokens included; default 384.
	MaxLength int
	// Stride is the number of context tokens consecutive windows share
	// (run_qa's doc_stride); default 128, at most half the room the
	// question leaves.
	Stride int
	// MaxAnswerLength is the longest answer in tokens; default 30.
	MaxAnswerLength int
	// NBest is how many start and how many end positions are paired per
	// window, and how many answers NBest returns; default 20.
	NBest int
	// AllowImpossible (SQuAD v2) answers "" when the null score beats the
	// best span by more than NullScoreDiffThreshold.
	AllowImpossible        bool
	NullScoreDiffThreshold float64
	// BatchSize is the inference batch size; default 8.
	BatchSize int
}

func (o Options) withDefaults() Options {
	if o.MaxLength <= 0 {
		o.MaxLength = 384
	}
	if o.Stride <= 0 {
		o.Stride = 128
	}
	if o.MaxAnswerLength <= 0 {
		o.MaxAnswerLength = 30
	}
	if o.NBest <= 0 {
		o.NBest = 20
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	return o
}

// Feature is one window of one example: [CLS] question [SEP] part of the
// context [SEP].
type Feature struct {
	IDs, TypeIDs []int
	// Example is the index of the source example.
	Example int
	// Start and End are the answer's first and last token positions in
	// the window, 0 ([CLS]) when the answer is not entirely inside it or the
	// question has none.
	Start, End int
	// Context marks the context tokens, the only ones an answer may use.
	Context []bool
	// Offsets are byte ranges into the example's context (context tokens
	// only).
	Offsets [][2]int
}

// Featurize encodes every example into windows, labelled with its first
// answer. A question too long to leave room for context is an error naming
// the example.
func Featurize(tok *tokenize.Tokenizer, exs []Example, opt Options) ([]Feature, error) {
	opt = opt.withDefaults()
	var out []Feature
	for i, ex := range exs {
		fs, err := featurize(tok, ex, opt)
		if err != nil {
			return nil, fmt.Errorf("example %d (id %q): %w", i, ex.ID, err)
		}
		for k := range fs {
			fs[k].Example = i
		}
		out = append(out, fs...)
	}
	return out, nil
}

func featurize(tok *tokenize.Tokenizer, ex Example, opt Options) ([]Feature, error) {
	q := len(tok.Tokenize(ex.Question))
	room := opt.MaxLength - q - 3
	if room < 2 {
		return nil, fmt.Errorf("the question takes %d of the %d tokens; no room for the context", q, opt.MaxLength)
	}
	stride := min(opt.Stride, room/2)
	enc, err := tok.EncodePair(ex.Question, ex.Context, tokenize.Options{
		MaxLength: opt.MaxLength, Truncation: tokenize.OnlySecond, Stride: stride, ReturnOverflowing: true,
	})
	if err != nil {
		return nil, err
	}
	startByte, endByte := -1, -1
	if len(ex.Answers) > 0 {
		a := ex.Answers[0]
		startByte = byteOffset(ex.Context, a.Start)
		endByte = byteOffset(ex.Context, a.Start+utf8.RuneCountInString(a.Text))
	}
	flat, _ := tokenize.Flatten([]tokenize.Encoding{enc})
	out := make([]Feature, len(flat))
	for k, w := range flat {
		f := Feature{IDs: w.IDs, TypeIDs: w.TypeIDs, Context: make([]bool, w.Len()), Offsets: w.Offsets}
		for j, s := range w.SequenceIDs {
			f.Context[j] = s == 1
		}
		if startByte >= 0 && startByte < endByte {
			f.Start, f.End = labelSpan(f, startByte, endByte)
		}
		out[k] = f
	}
	return out, nil
}

// labelSpan returns the token positions of the answer [sb, eb) (bytes of
// the context) in a window: the last context token starting at or before
// sb and the first ending at or after eb, as HF's prepare_train_features;
// (0, 0) when the window does not hold the whole answer.
func labelSpan(f Feature, sb, eb int) (int, int) {
	first, last := -1, -1
	for j, c := range f.Context {
		if c {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 || f.Offsets[first][0] > sb || f.Offsets[last][1] < eb {
		return 0, 0
	}
	s := first
	for s+1 <= last && f.Offsets[s+1][0] <= sb {
		s++
	}
	e := last
	for e-1 >= first && f.Offsets[e-1][1] >= eb {
		e--
	}
	if e < s {
		return 0, 0
	}
	return s, e
}

// collate pads windows to the longest rounded up to a multiple of
// padMultiple but not past limit (bert.PadBatch).
func collate(fs []*Feature, padID, padMultiple, limit int) *bert.Input {
	rows := make([]bert.Row, len(fs))
	for i, f := range fs {
		rows[i] = bert.Row{IDs: f.IDs, TypeIDs: f.TypeIDs}
	}
	return bert.PadBatch(rows, padID, padMultiple, limit)
}

// trainPadMultiple rounds training batches up to a multiple of 8 tokens (HF
// pad_to_multiple_of=8): batches then come in a few lengths, so the
// activation buffers a step frees fit the next step's instead of piling up
// one set per sequence length.
const trainPadMultiple = 8
