package data

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ReadSentences reads a CoNLL-style BIO file (token<TAB>tag per line, a
// blank line between sentences; .tsv/.conll/.txt/.bio/.iob, .gz allowed).
func ReadSentences(path string, opt Options) ([]Sentence, Skipped, error) {
	f, err := formatFor(path, opt.Format, true)
	if err != nil {
		return nil, Skipped{}, err
	}
	if f != FormatCoNLL {
		return nil, Skipped{}, fmt.Errorf("%s: NER data must be CoNLL/BIO (token<TAB>tag lines), not %s", path, f)
	}
	r, closeFn, err := openData(path)
	if err != nil {
		return nil, Skipped{}, err
	}
	defer closeFn()
	return ParseSentences(r, path, opt)
}

// validTag accepts O and B-/I-/E-/S-/L-/U- followed by a type.
func validTag(t string) bool {
	if t == "O" {
		return true
	}
	return len(t) > 2 && t[1] == '-' && strings.IndexByte("BIESLU", t[0]) >= 0
}

// ParseSentences reads CoNLL lines from r (name is used in positions).
// Columns are split on tabs, or on spaces when a line has no tab; the
// first column is the token and the last the tag, so 4-column CoNLL-2003
// files work too. "-DOCSTART-" lines are document markers, not tokens.
// With opt.Unlabeled a line may hold just the token. A bad line spoils its
// whole sentence: under SkipBadRows the sentence is skipped and counted
// (a sentence with a hole would mislabel its neighbours).
func ParseSentences(r io.Reader, name string, opt Options) ([]Sentence, Skipped, error) {
	lr := newLineReader(r, opt.maxRow())
	var out []Sentence
	var sk Skipped
	var cur Sentence
	var curErr *RowError
	flush := func() error {
		if curErr != nil {
			err := sk.bad(opt, curErr)
			cur, curErr = Sentence{}, nil
			return err
		}
		if len(cur.Tokens) > 0 {
			out = append(out, cur)
		}
		cur = Sentence{}
		return nil
	}
	for {
		b, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, sk, fmt.Errorf("%s:%d: %w", name, lr.line+1, err)
		}
		sk.Lines++
		line := lr.line
		text := string(b)
		if !tooLong && (strings.TrimSpace(text) == "" || strings.HasPrefix(text, "-DOCSTART-")) {
			sk.Blank++
			if err := flush(); err != nil {
				return nil, sk, err
			}
			continue
		}
		if curErr != nil {
			continue // rest of a bad sentence
		}
		if tooLong || !utf8.ValidString(text) {
			if len(cur.Tokens) == 0 {
				cur.Pos = Pos{name, line}
			}
			if tooLong {
				curErr = &RowError{Pos{name, line}, "", tooLongErr(opt)}
			} else {
				curErr = &RowError{Pos{name, line}, "token", errInvalidUTF8(text, "line")}
			}
			continue
		}
		var cols []string
		if strings.Contains(text, "\t") {
			cols = strings.Split(text, "\t")
		} else {
			cols = strings.Fields(text)
		}
		pos := Pos{name, line}
		if len(cur.Tokens) == 0 {
			cur.Pos = pos
		}
		tok := strings.TrimSpace(cols[0])
		switch {
		case tok == "":
			curErr = &RowError{pos, "token", errEmpty}
		case len(cols) < 2 && !opt.Unlabeled:
			curErr = &RowError{pos, "tag", fmt.Errorf("missing: want token<TAB>tag, got %d column(s)", len(cols))}
		case len(cols) >= 2:
			tag := strings.TrimSpace(cols[len(cols)-1])
			if !validTag(tag) {
				curErr = &RowError{pos, "tag", fmt.Errorf("not O, B-TYPE or I-TYPE (a %d-byte value in the last column)", len(tag))}
				break
			}
			cur.Tags = append(cur.Tags, tag)
		}
		cur.Tokens = append(cur.Tokens, tok)
		if curErr == nil && cur.Tags != nil && len(cur.Tags) != len(cur.Tokens) {
			curErr = &RowError{pos, "tag", fmt.Errorf("tagged and untagged tokens mixed in one sentence")}
		}
	}
	if err := flush(); err != nil {
		return nil, sk, err
	}
	sk.Rows = len(out)
	return out, sk, nil
}
