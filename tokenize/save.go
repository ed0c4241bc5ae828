package tokenize

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// writeFileAtomic writes data to a temporary file in the same folder,
// syncs it and renames it over path, so readers never see a partial file.
// The file gets mode 0644 like the other writers of a model folder
// (os.CreateTemp makes 0600), and errors name path, not the temporary file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, pathErrCause(err))
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, pathErrCause(err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: makes the rename durable where supported
		d.Close()
	}
	return nil
}

// pathErrCause strips the operation and (temporary) path from a
// *fs.PathError or *os.LinkError, keeping the cause.
func pathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
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
