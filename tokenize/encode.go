package tokenize

import (
	"errors"
	"fmt"
)

// Truncation selects how over-long inputs are cut (HF TruncationStrategy).
type Truncation int

const (
	// TruncateNone never truncates.
	TruncateNone Truncation = iota
	// LongestFirst removes tokens one at a time from the longer sequence
	// (from the second one on a tie), as HF's slow tokenizer does.
	LongestFirst
	// OnlyFirst truncates only the first sequence.
	OnlyFirst
	// OnlySecond truncates only the second sequence (QA contexts).
	OnlySecond
)

// ParseTruncation maps HF names ("longest_first", "only_first",
// "only_second", "do_not_truncate"/"none"/"") to a Truncation.
func ParseTruncation(s string) (Truncation, error) {
	switch s {
	case "", "none", "do_not_truncate", "false":
		return TruncateNone, nil
	case "longest_first", "true":
		return LongestFirst, nil
	case "only_first":
		return OnlyFirst, nil
	case "only_second":
		return OnlySecond, nil
	}
	return 0, fmt.Errorf("unknown truncation %q (want longest_first, only_first, only_second or none)", s)
}

// Padding selects padding (HF PaddingStrategy); padding is on the right.
type Padding int

const (
	PadNone      Padding = iota // no padding
	PadLongest                  // to the longest encoding of the batch
	PadMaxLength                // to Options.MaxLength
)

// ParsePadding maps HF names ("longest", "max_length", "do_not_pad"/"none").
func ParsePadding(s string) (Padding, error) {
	switch s {
	case "", "none", "do_not_pad", "false":
		return PadNone, nil
	case "longest", "true":
		return PadLongest, nil
	case "max_length":
		return PadMaxLength, nil
	}
	return 0, fmt.Errorf("unknown padding %q (want longest, max_length or none)", s)
}

// Options control Encode. The zero value adds [CLS]/[SEP] and neither
// truncates nor pads.
type Options struct {
	// NoSpecialTokens omits [CLS] and [SEP] (HF add_special_tokens=False).
	NoSpecialTokens bool
	// MaxLength bounds the encoding, special tokens included. 0 means the
	// tokenizer's ModelMaxLength when truncating or padding to max length.
	MaxLength  int
	Truncation Truncation
	// Stride is the number of tokens shared by consecutive overflow windows.
	Stride int
	// ReturnOverflowing keeps the truncated tokens as further windows in
	// Encoding.Overflowing (HF fast tokenizer semantics: every window is
	// a full encoding; with OnlySecond each repeats the first sequence).
	ReturnOverflowing bool
	Padding           Padding
	// PadToMultipleOf rounds the padded length up (0 or 1: no rounding).
	PadToMultipleOf int
}

// Encoding is a model-ready sequence, aligned index by index.
type Encoding struct {
	IDs           []int
	TypeIDs       []int // 0 for the first sequence (and its [CLS]/[SEP]), 1 for the second
	AttentionMask []int // 1 on real tokens, 0 on padding
	Tokens        []string
	// Offsets are byte ranges [start, end) into the text of the token's
	// sequence (see SequenceIDs); [0, 0] for added special tokens and pads.
	// CharOffsets converts them to code points (HF offset_mapping).
	Offsets     [][2]int
	SpecialMask []bool // true for added [CLS]/[SEP] and [PAD]
	SequenceIDs []int  // 0 or 1 for text tokens, -1 for added specials and pads
	// Overflowing holds the further windows when ReturnOverflowing is set.
	Overflowing []Encoding
}

// Len returns the number of positions.
func (e *Encoding) Len() int { return len(e.IDs) }

// Encode encodes one text.
func (t *Tokenizer) Encode(text string, opts Options) (Encoding, error) {
	return t.encode(text, "", false, opts)
}

// EncodePair encodes a pair as [CLS] a [SEP] b [SEP].
func (t *Tokenizer) EncodePair(a, b string, opts Options) (Encoding, error) {
	return t.encode(a, b, true, opts)
}

func (t *Tokenizer) encode(a, b string, pair bool, opts Options) (Encoding, error) {
	sc := t.pool.Get().(*scratch)
	ta := t.appendTokens(nil, a, sc)
	var tb []Token
	if pair {
		tb = t.appendTokens(nil, b, sc)
	}
	t.pool.Put(sc)
	encs, err := t.assemble(ta, tb, pair, opts)
	if err != nil {
		return Encoding{}, err
	}
	if opts.Padding == PadMaxLength {
		t.padAll(encs, t.maxLength(opts), opts.PadToMultipleOf)
	} else if opts.Padding == PadLongest {
		t.padAll(encs, longest(encs), opts.PadToMultipleOf)
	}
	return nest(encs), nil
}

func (t *Tokenizer) maxLength(opts Options) int {
	if opts.MaxLength > 0 {
		return opts.MaxLength
	}
	return t.settings.ModelMaxLength
}

// assemble truncates and joins token lists into one or more windows.
func (t *Tokenizer) assemble(ta, tb []Token, pair bool, opts Options) ([]Encoding, error) {
	nSpecial := 0
	if !opts.NoSpecialTokens {
		nSpecial = 2
		if pair {
			nSpecial = 3
		}
	}
	windowsA, windowsB := [][]Token{ta}, [][]Token{tb}
	if opts.Truncation != TruncateNone {
		maxLen := t.maxLength(opts)
		if maxLen <= 0 {
			return nil, errors.New("truncation needs MaxLength (no model_max_length known)")
		}
		if opts.Stride < 0 {
			return nil, fmt.Errorf("stride %d is negative", opts.Stride)
		}
		budget := maxLen - nSpecial
		if budget <= 0 {
			return nil, fmt.Errorf("max length %d leaves no room for tokens after %d special tokens", maxLen, nSpecial)
		}
		if len(ta)+len(tb) > budget {
			var err error
			switch {
			case opts.Truncation == OnlySecond && !pair:
				return nil, errors.New("only_second truncation needs a pair of texts")
			case opts.Truncation == OnlySecond:
				windowsB, err = windows(tb, budget-len(ta), opts, "second")
			case opts.Truncation == OnlyFirst:
				windowsA, err = windows(ta, budget-len(tb), opts, "first")
			case !pair: // LongestFirst on one text
				windowsA, err = windows(ta, budget, opts, "first")
			default:
				if opts.ReturnOverflowing {
					return nil, errors.New("overflowing tokens are not available for pairs with longest_first truncation; use only_first or only_second")
				}
				la, lb := longestFirst(len(ta), len(tb), len(ta)+len(tb)-budget)
				windowsA, windowsB = [][]Token{ta[:la]}, [][]Token{tb[:lb]}
			}
			if err != nil {
				return nil, err
			}
		}
	}
	capHint := 0
	if opts.Padding == PadMaxLength {
		capHint = t.maxLength(opts)
	}
	var encs []Encoding
	for _, wa := range windowsA {
		for _, wb := range windowsB {
			encs = append(encs, t.join(wa, wb, pair, !opts.NoSpecialTokens, capHint))
		}
	}
	return encs, nil
}

// windows cuts toks to size tokens; with ReturnOverflowing it returns every
// window of size tokens, consecutive windows sharing Stride tokens (HF
// tokenizers Encoding::truncate).
func windows(toks []Token, size int, opts Options, which string) ([][]Token, error) {
	if size <= 0 {
		return nil, fmt.Errorf("cannot truncate the %s sequence: the other one alone fills the max length", which)
	}
	if !opts.ReturnOverflowing {
		return [][]Token{toks[:size]}, nil
	}
	if opts.Stride >= size {
		return nil, fmt.Errorf("stride %d must be smaller than the %d tokens left for the %s sequence", opts.Stride, size, which)
	}
	var out [][]Token
	for start := 0; ; start += size - opts.Stride {
		stop := min(start+size, len(toks))
		out = append(out, toks[start:stop])
		if stop == len(toks) {
			return out, nil
		}
	}
}

// longestFirst returns the kept lengths after removing k tokens one at a
// time from the longer list, the second on ties (HF slow tokenizer order).
func longestFirst(la, lb, k int) (int, int) {
	if d := min(k, max(la-lb, 0)); d > 0 {
		la, k = la-d, k-d
	}
	if d := min(k, max(lb-la, 0)); d > 0 {
		lb, k = lb-d, k-d
	}
	// Now equal: removals alternate second, first, second, ...
	la -= k / 2
	lb -= k - k/2
	return la, lb
}

// join lays out [CLS] a [SEP] (b [SEP]) with room for capHint positions.
func (t *Tokenizer) join(a, b []Token, pair, special bool, capHint int) Encoding {
	n := len(a) + len(b)
	if special {
		n += 2
		if pair {
			n++
		}
	}
	e := newEncoding(n, max(n, capHint))
	k := 0
	put := func(id, typ, seq int, off [2]int, sp bool) {
		e.IDs[k], e.TypeIDs[k], e.AttentionMask[k] = id, typ, 1
		e.Tokens[k], e.Offsets[k], e.SpecialMask[k], e.SequenceIDs[k] = t.vocab.tokens[id], off, sp, seq
		k++
	}
	if special {
		put(t.clsID, 0, -1, [2]int{}, true)
	}
	for _, tk := range a {
		put(tk.ID, 0, 0, [2]int{tk.Start, tk.End}, false)
	}
	if special {
		put(t.sepID, 0, -1, [2]int{}, true)
	}
	if pair {
		for _, tk := range b {
			put(tk.ID, 1, 1, [2]int{tk.Start, tk.End}, false)
		}
		if special {
			put(t.sepID, 1, -1, [2]int{}, true)
		}
	}
	return e
}

// newEncoding allocates an Encoding of length n and capacity c.
func newEncoding(n, c int) Encoding {
	return Encoding{
		IDs:           make([]int, n, c),
		TypeIDs:       make([]int, n, c),
		AttentionMask: make([]int, n, c),
		Tokens:        make([]string, n, c),
		Offsets:       make([][2]int, n, c),
		SpecialMask:   make([]bool, n, c),
		SequenceIDs:   make([]int, n, c),
	}
}

func longest(encs []Encoding) int {
	n := 0
	for i := range encs {
		n = max(n, len(encs[i].IDs))
	}
	return n
}

// padAll pads every encoding on the right to length n (rounded up to a
// multiple of mult); longer encodings are left alone.
func (t *Tokenizer) padAll(encs []Encoding, n, mult int) {
	if mult > 1 && n%mult != 0 {
		n += mult - n%mult
	}
	pad := t.vocab.tokens[t.padID]
	for i := range encs {
		e := &encs[i]
		m := len(e.IDs)
		if m >= n {
			continue
		}
		if cap(e.IDs) >= n { // join reserved room: pad in place
			e.IDs, e.TypeIDs, e.AttentionMask = e.IDs[:n], e.TypeIDs[:n], e.AttentionMask[:n]
			e.Tokens, e.Offsets, e.SpecialMask, e.SequenceIDs = e.Tokens[:n], e.Offsets[:n], e.SpecialMask[:n], e.SequenceIDs[:n]
			for k := m; k < n; k++ {
				e.IDs[k], e.TypeIDs[k], e.AttentionMask[k] = t.padID, 0, 0
				e.Tokens[k], e.Offsets[k], e.SpecialMask[k], e.SequenceIDs[k] = pad, [2]int{}, true, -1
			}
			continue
		}
		p := newEncoding(n, n)
		copy(p.IDs, e.IDs)
		copy(p.TypeIDs, e.TypeIDs)
		copy(p.AttentionMask, e.AttentionMask)
		copy(p.Tokens, e.Tokens)
		copy(p.Offsets, e.Offsets)
		copy(p.SpecialMask, e.SpecialMask)
		copy(p.SequenceIDs, e.SequenceIDs)
		for k := m; k < n; k++ {
			p.IDs[k], p.Tokens[k], p.SpecialMask[k], p.SequenceIDs[k] = t.padID, pad, true, -1
		}
		p.Overflowing = e.Overflowing
		*e = p
	}
}

// nest makes encs[1:] the Overflowing windows of encs[0].
func nest(encs []Encoding) Encoding {
	e := encs[0]
	if len(encs) > 1 {
		e.Overflowing = encs[1:]
	}
	return e
}

// Flatten lists every window of encs (each encoding, then its overflowing
// windows) with the index of the input it came from, the layout a trainer
// or QA pipeline batches (HF overflow_to_sample_mapping).
func Flatten(encs []Encoding) (flat []Encoding, sample []int) {
	for i := range encs {
		e := encs[i]
		over := e.Overflowing
		e.Overflowing = nil
		flat = append(flat, e)
		sample = append(sample, i)
		for _, o := range over {
			flat = append(flat, o)
			sample = append(sample, i)
		}
	}
	return flat, sample
}
