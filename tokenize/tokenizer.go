package tokenize

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Settings are the tokenizer options of HF's BertTokenizer, as read from a
// model folder by LoadDir or set by hand. Use DefaultSettings as a base.
type Settings struct {
	// DoLowerCase lower-cases input (per character, outside special tokens)
	// and, unless StripAccents says otherwise, strips accents.
	DoLowerCase bool
	// LowerCaseReason says where DoLowerCase came from (tokenizer_config.json,
	// tokenizer.json, inference from the vocabulary, or an override), so
	// that tools can show the decision. Informational only.
	LowerCaseReason string
	// StripAccents: nil follows DoLowerCase (HF strip_accents=None).
	StripAccents *bool
	// TokenizeChineseChars puts every CJK ideograph in its own word.
	TokenizeChineseChars bool
	// MaxInputCharsPerWord: longer words (in code points) become [UNK].
	MaxInputCharsPerWord int
	// ContinuingSubwordPrefix marks non-initial pieces ("##").
	ContinuingSubwordPrefix string
	// ModelMaxLength is the default MaxLength when truncating or padding to
	// max length without an explicit one (0: none known).
	ModelMaxLength int
	// Special token strings. Their occurrences in raw text are kept whole.
	UnkToken, SepToken, PadToken, ClsToken, MaskToken string
	// AdditionalSpecialTokens are further never-split tokens that must be in
	// the vocabulary.
	AdditionalSpecialTokens []string
	// NeverSplit are words (after cleaning, NFC and lower-casing) that are
	// emitted as one token, [UNK] if not in the vocabulary, without accent
	// stripping, punctuation splitting or WordPiece (HF never_split).
	NeverSplit []string
}

// DefaultSettings returns BertTokenizer's defaults with the given casing.
func DefaultSettings(lower bool) Settings {
	return Settings{
		DoLowerCase:             lower,
		LowerCaseReason:         "set by caller",
		TokenizeChineseChars:    true,
		MaxInputCharsPerWord:    100,
		ContinuingSubwordPrefix: "##",
		UnkToken:                "[UNK]",
		SepToken:                "[SEP]",
		PadToken:                "[PAD]",
		ClsToken:                "[CLS]",
		MaskToken:               "[MASK]",
	}
}

// Token is one WordPiece token of a text. Start and End are byte offsets
// into the text given to Tokenize: the smallest range of original bytes the
// token was normalised from ([UNK] covers its whole word).
type Token struct {
	ID         int
	Start, End int
}

// Tokenizer turns text into WordPiece ids with HF BertTokenizer parity. It is
// safe for concurrent use.
type Tokenizer struct {
	vocab    *Vocab
	settings Settings

	lower, strip bool
	chinese      bool
	maxChars     int
	prefix       string

	unkID, sepID, padID, clsID, maskID int

	// Special tokens, longest first, matched in raw text; never-split words.
	specials     []string
	specialIDs   []int
	specialFirst [256]bool
	bracketOnly  bool // every special starts with '[' (BERT): scan with IndexByte
	neverSplit   map[string]bool
	// userNever is Settings.NeverSplit; when set every chunk takes the
	// general path, which is where the check happens.
	userNever map[string]bool

	forceGeneral bool // tests: disable the ASCII fast path

	initial, cont *trie
	// punctID holds the id of each single ASCII punctuation char (or unk).
	punctID [128]int32

	pool sync.Pool // *scratch
}

// New builds a tokenizer. Special tokens [UNK], [SEP], [PAD], [CLS] and
// [MASK] (as named in s) must be in the vocabulary.
func New(v *Vocab, s Settings) (*Tokenizer, error) {
	if v == nil || v.Len() == 0 {
		return nil, fmt.Errorf("tokenizer: empty vocabulary")
	}
	if s.MaxInputCharsPerWord <= 0 {
		s.MaxInputCharsPerWord = 100
	}
	if s.ContinuingSubwordPrefix == "" {
		s.ContinuingSubwordPrefix = "##"
	}
	t := &Tokenizer{
		vocab:    v,
		settings: s,
		lower:    s.DoLowerCase,
		strip:    s.DoLowerCase,
		chinese:  s.TokenizeChineseChars,
		maxChars: s.MaxInputCharsPerWord,
		prefix:   s.ContinuingSubwordPrefix,
	}
	if s.StripAccents != nil {
		t.strip = *s.StripAccents
	}
	ids := []*int{&t.unkID, &t.sepID, &t.padID, &t.clsID, &t.maskID}
	for i, name := range []string{s.UnkToken, s.SepToken, s.PadToken, s.ClsToken, s.MaskToken} {
		id, ok := v.ID(name)
		if !ok {
			return nil, fmt.Errorf("tokenizer: special token %q is not in the vocabulary", name)
		}
		*ids[i] = id
	}
	t.neverSplit = map[string]bool{}
	all := append([]string{s.UnkToken, s.SepToken, s.PadToken, s.ClsToken, s.MaskToken}, s.AdditionalSpecialTokens...)
	for _, sp := range all {
		if sp == "" || t.neverSplit[sp] {
			continue
		}
		id, ok := v.ID(sp)
		if !ok {
			return nil, fmt.Errorf("tokenizer: additional special token %q is not in the vocabulary", sp)
		}
		t.neverSplit[sp] = true
		t.specials = append(t.specials, sp)
		t.specialIDs = append(t.specialIDs, id)
		t.specialFirst[sp[0]] = true
	}
	// Longest first, so that at one position the longest special wins (HF Trie).
	idx := make([]int, len(t.specials))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return len(t.specials[idx[a]]) > len(t.specials[idx[b]]) })
	sp, spID := make([]string, len(idx)), make([]int, len(idx))
	for i, j := range idx {
		sp[i], spID[i] = t.specials[j], t.specialIDs[j]
	}
	t.specials, t.specialIDs = sp, spID
	t.bracketOnly = len(sp) > 0
	for _, x := range sp {
		t.bracketOnly = t.bracketOnly && x[0] == '['
	}

	for _, w := range s.NeverSplit {
		if t.userNever == nil {
			t.userNever = map[string]bool{}
		}
		t.userNever[w] = true
	}
	t.initial = newTrie(v.tokens, "")
	t.cont = newTrie(v.tokens, t.prefix)
	for c := 0; c < 128; c++ {
		t.punctID[c] = int32(t.unkID)
		if id, ok := v.ID(string(rune(c))); ok {
			t.punctID[c] = int32(id)
		}
	}
	t.pool.New = func() any { return new(scratch) }
	return t, nil
}

// Vocab returns the vocabulary.
func (t *Tokenizer) Vocab() *Vocab { return t.vocab }

// Settings returns the settings the tokenizer was built with.
func (t *Tokenizer) Settings() Settings { return t.settings }

// Special token ids.
func (t *Tokenizer) UnkID() int  { return t.unkID }
func (t *Tokenizer) SepID() int  { return t.sepID }
func (t *Tokenizer) PadID() int  { return t.padID }
func (t *Tokenizer) ClsID() int  { return t.clsID }
func (t *Tokenizer) MaskID() int { return t.maskID }

// Tokenize returns the WordPiece tokens of text without [CLS]/[SEP], with
// byte offsets into text. Invalid UTF-8 bytes count as U+FFFD, which HF's
// text cleaning removes.
func (t *Tokenizer) Tokenize(text string) []Token {
	// About one token per 4-5 bytes of English clinical text.
	return t.AppendTokens(make([]Token, 0, len(text)/4+4), text)
}

// AppendTokens appends the tokens of text to dst (see Tokenize).
func (t *Tokenizer) AppendTokens(dst []Token, text string) []Token {
	sc := t.pool.Get().(*scratch)
	dst = t.appendTokens(dst, text, sc)
	t.pool.Put(sc)
	return dst
}

// TokenStrings returns the token strings of ids (for display).
func (t *Tokenizer) TokenStrings(toks []Token) []string {
	out := make([]string, len(toks))
	for i, tk := range toks {
		out[i] = t.vocab.Token(tk.ID)
	}
	return out
}

// appendTokens splits text at special tokens (leftmost, longest at a
// position) and runs the basic + WordPiece pipeline on the pieces between.
func (t *Tokenizer) appendTokens(dst []Token, text string, sc *scratch) []Token {
	pos := 0
	for pos < len(text) {
		ms, me, id := t.nextSpecial(text, pos)
		if ms < 0 {
			return t.appendPiece(dst, text, pos, len(text), sc)
		}
		dst = t.appendPiece(dst, text, pos, ms, sc)
		dst = append(dst, Token{ID: id, Start: ms, End: me})
		pos = me
	}
	return dst
}

// nextSpecial finds the first special-token occurrence at or after pos.
func (t *Tokenizer) nextSpecial(text string, pos int) (start, end, id int) {
	if len(t.specials) == 0 {
		return -1, -1, -1
	}
	for i := pos; i < len(text); i++ {
		if t.bracketOnly {
			j := strings.IndexByte(text[i:], '[')
			if j < 0 {
				break
			}
			i += j
		} else if !t.specialFirst[text[i]] {
			continue
		}
		for k, sp := range t.specials {
			if strings.HasPrefix(text[i:], sp) {
				return i, i + len(sp), t.specialIDs[k]
			}
		}
	}
	return -1, -1, -1
}
