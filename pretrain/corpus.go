// Package pretrain does masked-language-model pre-training of BERT on a
// hospital's own text: it streams a corpus (plain text or JSONL, either
// optionally gzipped), tokenizes it in parallel into a packed file of
// full-length sequences (Hugging Face's run_mlm group_texts), masks each
// batch dynamically as BERT does (15% of tokens; 80% [MASK], 10% a random
// token, 10% unchanged; optionally whole words), and trains the tied MLM
// head through the train.Trainer (the Task in task.go).
//
// The corpus is never held in memory: documents are read and tokenized a
// block at a time and the packed ids go to disk; training reads the
// sequences it needs from the packed file.
package pretrain

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// MaxDocumentBytes bounds one line (a JSONL record, or a line of text):
// longer lines are an error naming the line, never a silent cut.
const MaxDocumentBytes = 64 << 20

// CorpusOptions say how to split files into documents.
type CorpusOptions struct {
	// TextField is the JSONL field holding the text (default "text").
	TextField string
	// BlankLineDocuments makes a plain-text document a paragraph: lines up
	// to a blank line, joined with spaces. The default is one document per
	// line.
	BlankLineDocuments bool
}

// isJSONL reports whether the file name says JSON lines (.jsonl, .json,
// .ndjson, optionally .gz); anything else is plain text.
func isJSONL(path string) bool {
	p := strings.TrimSuffix(strings.ToLower(path), ".gz")
	return strings.HasSuffix(p, ".jsonl") || strings.HasSuffix(p, ".ndjson") || strings.HasSuffix(p, ".json")
}

// Documents streams the documents of one file to fn, in order. A document
// that is empty after trimming is skipped. Errors name the file and line;
// they never quote the text.
func Documents(path string, opt CorpusOptions, fn func(doc string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("%s: not a gzip file: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	field := opt.TextField
	if field == "" {
		field = "text"
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxDocumentBytes)
	jsonl := isJSONL(path)
	var para strings.Builder
	flush := func() error {
		if para.Len() == 0 {
			return nil
		}
		doc := para.String()
		para.Reset()
		return fn(doc)
	}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if !utf8.Valid(b) {
			return fmt.Errorf("%s:%d: not valid UTF-8", path, line)
		}
		text := strings.TrimSpace(string(b))
		switch {
		case jsonl:
			if text == "" {
				continue
			}
			doc, err := jsonText(text, field)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", path, line, err)
			}
			if doc = strings.TrimSpace(doc); doc != "" {
				if err := fn(doc); err != nil {
					return err
				}
			}
		case opt.BlankLineDocuments:
			if text == "" {
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			if para.Len() > 0 {
				para.WriteByte(' ')
			}
			para.WriteString(text)
		default:
			if text != "" {
				if err := fn(text); err != nil {
					return err
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return fmt.Errorf("%s:%d: line longer than %d MiB", path, line+1, MaxDocumentBytes>>20)
		}
		return fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	return flush()
}

// jsonText returns the string field of one JSON object.
func jsonText(line, field string) (string, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		return "", fmt.Errorf("not a JSON object (%s)", jsonErrKind(err))
	}
	raw, ok := rec[field]
	if !ok {
		return "", fmt.Errorf("no field %q", field)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("field %q is not a string", field)
	}
	return s, nil
}

// jsonErrKind describes a JSON error without quoting the input.
func jsonErrKind(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "wrong structure"
}
