package deid

import (
	"fmt"
	"html"
	"io"
)

// Review writes an HTML page that shows de-identified documents with each
// detected span highlighted and labelled, for a privacy officer to check a
// sample. The page holds the ORIGINAL text: treat it as PHI.
type Review struct {
	w     io.Writer
	limit int
	n     int
	err   error
}

// NewReview starts a review page on w showing at most limit documents
// (limit <= 0: 500).
func NewReview(w io.Writer, limit int) *Review {
	if limit <= 0 {
		limit = 500
	}
	r := &Review{w: w, limit: limit}
	_, r.err = io.WriteString(w, `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>medbert deid review</title>
<style>
body{font-family:sans-serif;max-width:60em;margin:auto}
.doc{border-bottom:1px solid #ccc;padding:.6em 0;white-space:pre-wrap;font-family:monospace}
.id{color:#666;font-size:small;font-family:sans-serif}
mark{background:#ffd27f;border-radius:3px}
mark sup{font-size:60%;color:#a33;margin-left:2px}
</style></head><body>
<h1>De-identification review</h1>
<p>Highlighted spans will be replaced. This page shows the original text: it contains PHI.</p>
`)
	return r
}

// add writes one document; a nil Review ignores it.
func (r *Review) add(id, text string, spans []Span) {
	if r == nil || r.err != nil || r.n >= r.limit {
		return
	}
	r.n++
	runes := []rune(text)
	var b []byte
	b = fmt.Appendf(b, "<div class=\"doc\"><div class=\"id\">%s</div>", html.EscapeString(id))
	last := 0
	for _, s := range spans {
		if s.Start < last || s.End > len(runes) {
			continue
		}
		b = append(b, html.EscapeString(string(runes[last:s.Start]))...)
		b = fmt.Appendf(b, "<mark title=\"%s\">%s<sup>%s</sup></mark>", s.Type, html.EscapeString(string(runes[s.Start:s.End])), s.Type)
		last = s.End
	}
	b = append(b, html.EscapeString(string(runes[last:]))...)
	b = append(b, "</div>\n"...)
	_, r.err = r.w.Write(b)
}

// Close ends the page and reports the first write error.
func (r *Review) Close() error {
	if r == nil {
		return nil
	}
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, "<p>%d documents shown.</p></body></html>\n", r.n)
	}
	return r.err
}
