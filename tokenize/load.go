package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// LoadDir loads the tokenizer of a Hugging Face model folder:
//
//   - vocabulary: vocab.txt, else tokenizer.json with a WordPiece model;
//   - tokenizer_config.json when present: do_lower_case, strip_accents,
//     tokenize_chinese_chars, model_max_length, special tokens;
//   - tokenizer.json's BertNormalizer settings when there is no
//     tokenizer_config.json;
//   - config.json's max_position_embeddings as model_max_length fallback.
//
// Casing is decided explicitly and recorded in Settings.LowerCaseReason:
// tokenizer_config.json, else tokenizer.json, else the vocabulary (cased
// word tokens mean a cased model). HF instead falls back to lower-casing,
// which silently breaks cased checkpoints published without a
// tokenizer_config.json (BioBERT v1.1, Bio_ClinicalBERT).
func LoadDir(dir string) (*Tokenizer, error) {
	return LoadDirWith(dir, nil)
}

// LoadDirWith is LoadDir with an optional casing override (nil: decide from
// the folder), for --lower / --no-lower.
func LoadDirWith(dir string, lower *bool) (*Tokenizer, error) {
	s, v, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s.OverrideLowerCase(lower)
	t, err := New(v, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return t, nil
}

// OverrideLowerCase applies an explicit casing choice (a --lower/--no-lower
// flag) when lower is non-nil, keeping the replaced decision's reason in
// LowerCaseReason; with nil it changes nothing.
func (s *Settings) OverrideLowerCase(lower *bool) {
	if lower != nil {
		s.DoLowerCase = *lower
		s.LowerCaseReason = fmt.Sprintf("override: do_lower_case=%v requested (folder said: %s)", *lower, s.LowerCaseReason)
	}
}

// VocabSettings returns BertTokenizer's defaults for a bare vocabulary with
// no tokenizer_config.json: casing *lower when given, else InferLowerCase's
// decision, with the reason in LowerCaseReason.
func VocabSettings(v *Vocab, lower *bool) Settings {
	doLower, reason := InferLowerCase(v)
	if lower != nil {
		doLower, reason = *lower, fmt.Sprintf("override: do_lower_case=%v requested", *lower)
	}
	s := DefaultSettings(doLower)
	s.LowerCaseReason = reason
	return s
}

// ReadDir reads the settings and vocabulary of a model folder without
// building the tokenizer (see LoadDir).
func ReadDir(dir string) (Settings, *Vocab, error) { return ReadFS(dirFS(dir), dir) }

// dirFS serves the files of dir by their base names.
type dirFS string

func (d dirFS) Open(name string) (fs.File, error) { return os.Open(filepath.Join(string(d), name)) }

// ReadFS is ReadDir for a model folder served by fsys (an encrypted folder
// decrypted in memory, for one); dir names it in errors.
func ReadFS(fsys fs.FS, dir string) (Settings, *Vocab, error) {
	s := DefaultSettings(false)
	var v *Vocab
	var fast *fastTokenizer
	vocabPath := filepath.Join(dir, "vocab.txt")
	fastPath := filepath.Join(dir, "tokenizer.json")
	if data, err := readBoundedFS(fsys, "vocab.txt", vocabPath, MaxVocabFileBytes); err == nil {
		if v, err = ParseVocab(vocabPath, data); err != nil {
			return s, nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return s, nil, fmt.Errorf("load vocab: %w", err)
	}
	// tokenizer.json holds the vocabulary as JSON plus merges and added
	// tokens: a few times vocab.txt's size.
	if data, err := readBoundedFS(fsys, "tokenizer.json", fastPath, 4*MaxVocabFileBytes); err == nil {
		f, fv, err := parseFastTokenizer(fastPath, data)
		if err != nil {
			// Only fatal when it is the sole vocabulary source.
			if v == nil {
				return s, nil, err
			}
		} else {
			fast = f
			if v == nil {
				v = fv
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return s, nil, fmt.Errorf("load tokenizer: %w", err)
	}
	if v == nil {
		return s, nil, fmt.Errorf("%s: no vocab.txt and no tokenizer.json with a WordPiece model", dir)
	}

	// config.json first: tokenizer_config.json's model_max_length wins.
	if err := readModelConfig(fsys, filepath.Join(dir, "config.json"), &s); err != nil {
		return s, nil, err
	}
	if fast != nil {
		fast.apply(&s)
	}
	hasConfig, err := readTokenizerConfig(fsys, filepath.Join(dir, "tokenizer_config.json"), &s)
	if err != nil {
		return s, nil, err
	}
	if !hasConfig && (fast == nil || fast.Normalizer == nil || fast.Normalizer.Lowercase == nil) {
		s.DoLowerCase, s.LowerCaseReason = InferLowerCase(v)
	}
	return s, v, nil
}

// InferLowerCase decides casing from a vocabulary alone: a vocabulary in
// which at least 1% of the tokens (and at least 100) hold an upper-case
// letter was trained on cased text (bert-base-cased: 8368 of 28996), while
// uncased vocabularies have none or a handful of symbols (bert-base-uncased:
// 2, "ℝ" and "##ℝ"). Bracketed specials like [CLS] are not counted.
func InferLowerCase(v *Vocab) (lower bool, reason string) {
	n, example, first := 0, "", ""
	for _, tok := range v.tokens {
		if len(tok) > 1 && tok[0] == '[' && tok[len(tok)-1] == ']' {
			continue
		}
		for _, r := range tok {
			if unicode.IsUpper(r) {
				if example == "" && len(tok) >= 4 && !strings.HasPrefix(tok, "##") {
					example = tok
				}
				if first == "" {
					first = tok
				}
				n++
				break
			}
		}
	}
	if example == "" {
		// Small vocabularies (the first 512 entries of bert-base-cased)
		// may hold only single letters: show one of those.
		example = first
	}
	if n >= 100 && n*100 >= v.Len() {
		return false, fmt.Sprintf("no tokenizer_config.json: the vocabulary has %d tokens with upper-case letters (e.g. %q), so the model is cased: not lower-casing", n, example)
	}
	return true, fmt.Sprintf("no tokenizer_config.json: the vocabulary has only %d tokens with upper-case letters, so the model is uncased: lower-casing", n)
}

// hfToken is a special token in tokenizer_config.json: a string or an
// AddedToken object {"content": ...}.
type hfToken string

func (h *hfToken) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*h = hfToken(s)
		return nil
	}
	var o struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("special token: want a string or {\"content\": ...}, got %s", b)
	}
	*h = hfToken(o.Content)
	return nil
}

type tokenizerConfig struct {
	DoLowerCase          *bool     `json:"do_lower_case"`
	StripAccents         *bool     `json:"strip_accents"`
	TokenizeChineseChars *bool     `json:"tokenize_chinese_chars"`
	DoBasicTokenize      *bool     `json:"do_basic_tokenize"`
	ModelMaxLength       *float64  `json:"model_max_length"`
	MaxLen               *float64  `json:"max_len"` // pre-v3 name
	UnkToken             *hfToken  `json:"unk_token"`
	SepToken             *hfToken  `json:"sep_token"`
	PadToken             *hfToken  `json:"pad_token"`
	ClsToken             *hfToken  `json:"cls_token"`
	MaskToken            *hfToken  `json:"mask_token"`
	Additional           []hfToken `json:"additional_special_tokens"`
	NeverSplit           []string  `json:"never_split"`
}

// maxSaneLength bounds model_max_length: HF writes int(1e30) when unknown.
const maxSaneLength = 1 << 24

func readTokenizerConfig(fsys fs.FS, path string, s *Settings) (bool, error) {
	data, err := fs.ReadFile(fsys, filepath.Base(path))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load tokenizer config: %w", err)
	}
	var c tokenizerConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if c.DoBasicTokenize != nil && !*c.DoBasicTokenize {
		return false, fmt.Errorf("%s: do_basic_tokenize=false is not supported", path)
	}
	if c.DoLowerCase != nil {
		s.DoLowerCase = *c.DoLowerCase
		s.LowerCaseReason = fmt.Sprintf("tokenizer_config.json: do_lower_case=%v", *c.DoLowerCase)
	} else {
		// BertTokenizer's default, which is what HF uses here too.
		s.DoLowerCase = true
		s.LowerCaseReason = "tokenizer_config.json present without do_lower_case: BertTokenizer default true"
	}
	if c.StripAccents != nil {
		s.StripAccents = c.StripAccents
	}
	if c.TokenizeChineseChars != nil {
		s.TokenizeChineseChars = *c.TokenizeChineseChars
	}
	for _, m := range []*float64{c.MaxLen, c.ModelMaxLength} {
		if m != nil && *m > 0 && *m < maxSaneLength {
			s.ModelMaxLength = int(*m)
		}
	}
	for _, f := range []struct {
		src *hfToken
		dst *string
	}{{c.UnkToken, &s.UnkToken}, {c.SepToken, &s.SepToken}, {c.PadToken, &s.PadToken}, {c.ClsToken, &s.ClsToken}, {c.MaskToken, &s.MaskToken}} {
		if f.src != nil && *f.src != "" {
			*f.dst = string(*f.src)
		}
	}
	s.NeverSplit = append(s.NeverSplit, c.NeverSplit...)
	for _, a := range c.Additional {
		s.AdditionalSpecialTokens = append(s.AdditionalSpecialTokens, string(a))
	}
	return true, nil
}

func readModelConfig(fsys fs.FS, path string, s *Settings) error {
	data, err := fs.ReadFile(fsys, filepath.Base(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load model config: %w", err)
	}
	var c struct {
		MaxPositionEmbeddings float64 `json:"max_position_embeddings"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if c.MaxPositionEmbeddings > 0 && c.MaxPositionEmbeddings < maxSaneLength {
		s.ModelMaxLength = int(c.MaxPositionEmbeddings)
	}
	return nil
}

// fastTokenizer is the part of an HF tokenizers tokenizer.json we use.
type fastTokenizer struct {
	Model struct {
		Type                    string         `json:"type"`
		UnkToken                string         `json:"unk_token"`
		ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int            `json:"max_input_chars_per_word"`
		Vocab                   map[string]int `json:"vocab"`
	} `json:"model"`
	Normalizer *struct {
		Type               string `json:"type"`
		Lowercase          *bool  `json:"lowercase"`
		StripAccents       *bool  `json:"strip_accents"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
	} `json:"normalizer"`
	Truncation *struct {
		MaxLength int `json:"max_length"`
	} `json:"truncation"`
}

func parseFastTokenizer(path string, data []byte) (*fastTokenizer, *Vocab, error) {
	var f fastTokenizer
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Model.Type != "WordPiece" {
		return nil, nil, fmt.Errorf("%s: model type %q is not WordPiece", path, f.Model.Type)
	}
	if len(f.Model.Vocab) == 0 {
		return nil, nil, fmt.Errorf("%s: model.vocab is empty", path)
	}
	if f.Normalizer != nil && f.Normalizer.Type != "BertNormalizer" {
		return nil, nil, fmt.Errorf("%s: normalizer %q is not BertNormalizer", path, f.Normalizer.Type)
	}
	tokens := make([]string, len(f.Model.Vocab))
	type entry struct {
		tok string
		id  int
	}
	entries := make([]entry, 0, len(tokens))
	for tok, id := range f.Model.Vocab {
		entries = append(entries, entry{tok, id})
	}
	sort.Slice(entries, func(a, b int) bool { return entries[a].id < entries[b].id })
	for i, e := range entries {
		if e.id != i {
			return nil, nil, fmt.Errorf("%s: model.vocab ids are not 0..%d (id %d for %q)", path, len(tokens)-1, e.id, e.tok)
		}
		tokens[i] = e.tok
	}
	v, err := NewVocab(path, tokens)
	if err != nil {
		return nil, nil, err
	}
	return &f, v, nil
}

// apply copies the fast tokenizer's settings (overridden later by
// tokenizer_config.json when present).
func (f *fastTokenizer) apply(s *Settings) {
	if f.Model.UnkToken != "" {
		s.UnkToken = f.Model.UnkToken
	}
	if p := f.Model.ContinuingSubwordPrefix; p != nil && *p != "" {
		s.ContinuingSubwordPrefix = *p
	}
	if f.Model.MaxInputCharsPerWord > 0 {
		s.MaxInputCharsPerWord = f.Model.MaxInputCharsPerWord
	}
	if n := f.Normalizer; n != nil {
		if n.Lowercase != nil {
			s.DoLowerCase = *n.Lowercase
			s.LowerCaseReason = fmt.Sprintf("tokenizer.json: BertNormalizer lowercase=%v (no tokenizer_config.json)", *n.Lowercase)
		}
		if n.StripAccents != nil {
			s.StripAccents = n.StripAccents
		}
		if n.HandleChineseChars != nil {
			s.TokenizeChineseChars = *n.HandleChineseChars
		}
	}
	if f.Truncation != nil && f.Truncation.MaxLength > 0 && s.ModelMaxLength == 0 {
		s.ModelMaxLength = f.Truncation.MaxLength
	}
}
