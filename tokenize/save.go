package tokenize

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/internal/atomicfile"
)

// SaveDir writes vocab.txt, tokenizer_config.json and
// special_tokens_map.json into dir (which must exist) in the layout HF's
// BertTokenizer.from_pretrained reads, so a saved model folder keeps its
// casing explicit. Each file is written atomically (temp, fsync, rename).
func (t *Tokenizer) SaveDir(dir string) error {
	var b strings.Builder
	for _, tok := range t.vocab.tokens {
		b.WriteString(tok)
		b.WriteByte('\n')
	}
	if err := writeFileAtomic(filepath.Join(dir, "vocab.txt"), []byte(b.String())); err != nil {
		return err
	}
	s := t.settings
	specials := map[string]any{
		"unk_token": s.UnkToken, "sep_token": s.SepToken, "pad_token": s.PadToken,
		"cls_token": s.ClsToken, "mask_token": s.MaskToken,
	}
	if len(s.AdditionalSpecialTokens) > 0 {
		specials["additional_special_tokens"] = s.AdditionalSpecialTokens
	}
	cfg := map[string]any{
		"tokenizer_class":              "BertTokenizer",
		"do_lower_case":                s.DoLowerCase,
		"strip_accents":                s.StripAccents, // null follows do_lower_case
		"tokenize_chinese_chars":       s.TokenizeChineseChars,
		"do_basic_tokenize":            true,
		"clean_up_tokenization_spaces": true,
	}
	if s.ModelMaxLength > 0 {
		cfg["model_max_length"] = s.ModelMaxLength
	}
	if len(s.NeverSplit) > 0 {
		cfg["never_split"] = s.NeverSplit
	}
	for k, v := range specials {
		cfg[k] = v
	}
	for name, v := range map[string]any{"tokenizer_config.json": cfg, "special_tokens_map.json": specials} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, name), append(data, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes data with the module's one atomic writer (temp file,
// fsync, rename; mode 0644 less the umask). Errors name path, never the
// temporary file.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Decode turns ids back into text the way HF's BertTokenizer.decode does:
// tokens joined by spaces, "##" continuations glued on, and (as with
// clean_up_tokenization_spaces) the space before . ? ! , and English
// contractions removed. skipSpecial drops [CLS], [SEP], [PAD], [MASK] and
// [UNK]-style special tokens. Unknown ids are skipped. Decoding is lossy:
// use Encoding offsets to recover original text spans.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	var b strings.Builder
	for _, id := range ids {
		tok := t.vocab.Token(id)
		if tok == "" || (skipSpecial && t.neverSplit[tok]) {
			continue
		}
		if rest, ok := strings.CutPrefix(tok, t.prefix); ok && b.Len() > 0 {
			b.WriteString(rest)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	}
	out := b.String()
	for _, r := range [...][2]string{
		{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
	} {
		out = strings.ReplaceAll(out, r[0], r[1])
	}
	return out
}
