package qa

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Answer is one gold answer: its text and where it starts in the context,
// in code points (SQuAD's answer_start).
type Answer struct {
	Text  string `json:"text"`
	Start int    `json:"answer_start"`
}

// Example is one question about one context.
type Example struct {
	ID       string
	Title    string
	Question string
	Context  string
	// Answers are the gold answers; empty for an unanswerable question
	// (SQuAD v2 is_impossible) and for unlabelled input.
	Answers []Answer
	// Impossible marks a SQuAD v2 question the context does not answer.
	Impossible bool
}

type squadFile struct {
	Version string `json:"version"`
	Data    []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context string `json:"context"`
			QAs     []struct {
				ID           string   `json:"id"`
				Question     string   `json:"question"`
				Answers      []Answer `json:"answers"`
				IsImpossible bool     `json:"is_impossible"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// ReadSQuAD reads a SQuAD v1.1 or v2.0 JSON file.
func ReadSQuAD(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseSQuAD(f, path)
}

// ParseSQuAD reads SQuAD JSON from r; name is used in errors. Every
// answer must lie inside its context and its text must be the context's
// substring at answer_start (an error names the question id, never the
// text). A v2 question with is_impossible has no answers.
func ParseSQuAD(r io.Reader, name string) ([]Example, error) {
	var sf squadFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("%s: not SQuAD JSON: %w", name, err)
	}
	if sf.Data == nil {
		return nil, fmt.Errorf("%s: no \"data\" array (want SQuAD v1.1/v2.0 JSON)", name)
	}
	var out []Example
	for di, d := range sf.Data {
		for pi, p := range d.Paragraphs {
			if !utf8.ValidString(p.Context) {
				return nil, fmt.Errorf("%s: data[%d].paragraphs[%d].context is not valid UTF-8", name, di, pi)
			}
			n := utf8.RuneCountInString(p.Context)
			for qi, q := range p.QAs {
				where := fmt.Sprintf("%s: data[%d].paragraphs[%d].qas[%d] (id %q)", name, di, pi, qi, q.ID)
				if q.Question == "" {
					return nil, fmt.Errorf("%s: empty question", where)
				}
				ex := Example{ID: q.ID, Title: d.Title, Question: q.Question, Context: p.Context, Impossible: q.IsImpossible}
				if !q.IsImpossible {
					for ai, a := range q.Answers {
						end := a.Start + utf8.RuneCountInString(a.Text)
						if a.Start < 0 || end > n {
							return nil, fmt.Errorf("%s: answers[%d].answer_start %d is outside the %d-character context", where, ai, a.Start, n)
						}
						bs, be := byteOffset(p.Context, a.Start), byteOffset(p.Context, end)
						if p.Context[bs:be] != a.Text {
							return nil, fmt.Errorf("%s: answers[%d].text is not the context at answer_start %d", where, ai, a.Start)
						}
						ex.Answers = append(ex.Answers, a)
					}
				}
				out = append(out, ex)
			}
		}
	}
	return out, nil
}

// byteOffset returns the byte index of code point n of s (len(s) past the
// end).
func byteOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// AnyImpossible reports whether some example is an unanswerable (SQuAD
// v2) question: evaluation and prediction on such data should set
// Options.AllowImpossible.
func AnyImpossible(exs []Example) bool {
	for _, e := range exs {
		if e.Impossible {
			return true
		}
	}
	return false
}
