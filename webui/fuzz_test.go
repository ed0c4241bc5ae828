package webui

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Whatever the configuration holds, it cannot add markup to the page: the
// page has as many raw '<', '>' and quote characters as with plain names
// (everything else is escaped), keeps its one script, and never links a
// javascript: URL.
func FuzzConfig(f *testing.F) {
	f.Add("medbert", "/card/MODEL_CARD.md", "cardio", "neuro")
	f.Add(`</title><script>alert(1)</script>`, "javascript:alert(1)", `"><img src=x onerror=alert(1)>`, "b")
	f.Add("t", " JaVaScRiPt:alert(1)", "<select>", "</option><script src=//x>'")
	render := func(cfg Config) string {
		rec := httptest.NewRecorder()
		Handler(cfg).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 200 {
			f.Fatalf("status %d", rec.Code)
		}
		return rec.Body.String()
	}
	plain := render(Config{Title: "t", CardURL: "c", Models: []string{"a", "b"}})
	f.Fuzz(func(t *testing.T, title, cardURL, m1, m2 string) {
		page := render(Config{Title: title, CardURL: cardURL, Models: []string{m1, m2}})
		for _, c := range []string{"<", ">", `"`, "'"} {
			if strings.Count(page, c) != strings.Count(plain, c) {
				t.Fatalf("the configuration changed the page's markup (%q count %d, want %d)", c, strings.Count(page, c), strings.Count(plain, c))
			}
		}
		if n := strings.Count(page, "<script"); n != 1 {
			t.Fatalf("%d script tags", n)
		}
		if strings.Contains(strings.ToLower(page), `href="javascript:`) {
			t.Fatal("a javascript: link")
		}
	})
}
