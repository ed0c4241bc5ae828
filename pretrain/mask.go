package pretrain

import (
	"math"
	"math/rand/v2"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/tokenize"
)

// Masker draws BERT's masked-LM corruption for one sequence, as Hugging
// Face's DataCollatorForLanguageModeling (and, with WholeWord,
// DataCollatorForWholeWordMask):
//
//   - token level: each non-special position is selected with probability
//     Prob;
//   - whole-word level: words (a piece and its "##" continuations) are
//     shuffled and taken whole while the selected pieces stay within
//     max(1, round(n·Prob)) of the n non-special pieces (HF's special
//     tokens, [UNK] included, are never selected);
//
// then each selected position becomes [MASK] with probability 0.8, else a
// uniformly random vocabulary id with probability 0.5, else stays; its
// label is the original id, and every other label is -100.
type Masker struct {
	Prob      float64
	WholeWord bool
	maskID    int
	vocabSize int
	special   []bool // by id: never masked ([CLS], [SEP], [PAD], ...)
	cont      []bool // by id: a "##" continuation piece
}

// NewMasker builds a masker for tok's vocabulary.
func NewMasker(tok *tokenize.Tokenizer, prob float64, wholeWord bool) *Masker {
	v := tok.Vocab()
	m := &Masker{Prob: prob, WholeWord: wholeWord, maskID: tok.MaskID(), vocabSize: v.Len(),
		special: make([]bool, v.Len()), cont: make([]bool, v.Len())}
	for _, id := range []int{tok.ClsID(), tok.SepID(), tok.PadID(), tok.MaskID(), tok.UnkID()} {
		if id >= 0 && id < v.Len() { // as HF's all_special_ids, [UNK] included
			m.special[id] = true
		}
	}
	for id, s := range v.Tokens() {
		m.cont[id] = len(s) > 2 && s[:2] == "##"
	}
	return m
}

// Mask returns the corrupted input and the labels for ids.
func (m *Masker) Mask(ids []int, rng *rand.Rand) (input, labels []int) {
	input = append([]int(nil), ids...)
	labels = make([]int, len(ids))
	for i := range labels {
		labels[i] = bert.IgnoreIndex
	}
	selected := m.selectPositions(ids, rng)
	for i, sel := range selected {
		if !sel {
			continue
		}
		labels[i] = ids[i]
		switch {
		case rng.Float64() < 0.8:
			input[i] = m.maskID
		case rng.Float64() < 0.5:
			input[i] = rng.IntN(m.vocabSize)
		}
	}
	return input, labels
}

func (m *Masker) isSpecial(id int) bool { return id >= 0 && id < len(m.special) && m.special[id] }

func (m *Masker) selectPositions(ids []int, rng *rand.Rand) []bool {
	sel := make([]bool, len(ids))
	if !m.WholeWord {
		for i, id := range ids {
			if !m.isSpecial(id) && rng.Float64() < m.Prob {
				sel[i] = true
			}
		}
		return sel
	}
	var words [][]int
	n := 0
	for i, id := range ids {
		if m.isSpecial(id) {
			continue
		}
		n++
		if len(words) > 0 && id < len(m.cont) && m.cont[id] && words[len(words)-1][len(words[len(words)-1])-1] == i-1 {
			words[len(words)-1] = append(words[len(words)-1], i)
			continue
		}
		words = append(words, []int{i})
	}
	if n == 0 {
		return sel
	}
	budget := max(1, int(math.Round(float64(n)*m.Prob)))
	rng.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
	taken := 0
	for _, w := range words {
		if taken >= budget {
			break
		}
		if taken+len(w) > budget {
			continue
		}
		for _, i := range w {
			sel[i] = true
		}
		taken += len(w)
	}
	return sel
}
