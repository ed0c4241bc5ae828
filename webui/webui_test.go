package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutesAndContentTypes(t *testing.T) {
	h := Handler(Config{Title: "Cardiology triage", Models: []string{"cardio"}})
	for _, c := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", "<title>Cardiology triage</title>"},
		{"/ui/app.js", "text/javascript; charset=utf-8", "fetch('diagnose'"},
		{"/ui/app.css", "text/css; charset=utf-8", ".diagnoses"},
		{"/ui/icon.svg", "image/svg+xml", "<svg"},
	} {
		r := get(t, h, http.MethodGet, c.path)
		b := body(t, r)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", c.path, r.StatusCode)
		}
		if got := r.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if !strings.Contains(b, c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
		if r.Header.Get("ETag") == "" || r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q", c.path, r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
		}
		head := get(t, h, http.MethodHead, c.path)
		if head.StatusCode != http.StatusOK || body(t, head) != "" {
			t.Errorf("HEAD %s: status %d or a body", c.path, head.StatusCode)
		}
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := Handler(Config{})
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200}, {"GET", "/ui/app.js", 200}, {"GET", "/ui/nope.js", 404},
		{"GET", "/ui/", 404}, {"GET", "/ui/../ui/app.js", 404}, {"GET", "/ui//app.js", 404},
		{"GET", "/index.html", 404}, {"GET", "/ui/index.html", 404}, {"GET", "/favicon.ico", 404},
		{"GET", "/ui/assets/app.js", 404}, {"POST", "/", 405}, {"DELETE", "/ui/app.css", 405},
	} {
		r := get(t, h, c.method, c.path)
		if r.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, r.StatusCode, c.status)
		}
		if got := r.Header.Get("Content-Security-Policy"); got != "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'" {
			t.Errorf("%s %s: CSP %q", c.method, c.path, got)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: missing nosniff or no-referrer", c.method, c.path)
		}
		if c.status == 405 && r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", c.method, c.path, r.Header.Get("Allow"))
		}
	}
}

func TestConditionalGet(t *testing.T) {
	h := Handler(Config{})
	etag := get(t, h, "GET", "/ui/app.js").Header.Get("ETag")
	req := httptest.NewRequest("GET", "/ui/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: status %d, want 304", rec.Code)
	}
}

func TestPageShowsConfig(t *testing.T) {
	page := body(t, get(t, Handler(Config{Title: "Dx <beta>", CardURL: "/card/MODEL_CARD.md", Models: []string{"cardio", "neuro&co"}}), "GET", "/"))
	for _, s := range []string{
		"<title>Dx &lt;beta&gt;</title>", `<a href="/card/MODEL_CARD.md" id="card-link"`,
		`<select id="model" name="model">`, `<option value="cardio">cardio</option>`,
		`<option value="neuro&amp;co">neuro&amp;co</option>`, Banner,
		`<label for="note">`, `<label for="token">`, `<label for="model">`, `spellcheck="false"`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	one := body(t, get(t, Handler(Config{Models: []string{"cardio"}}), "GET", "/"))
	if strings.Contains(one, "<select") || strings.Contains(one, "card-link") {
		t.Error("one model and no card URL: the page still shows a selector or a card link")
	}
	if !strings.Contains(one, "<title>medbert</title>") {
		t.Error("empty title did not default to medbert")
	}
}

func TestUnsafeCardURLIsNeutralised(t *testing.T) {
	page := body(t, get(t, Handler(Config{CardURL: "javascript:alert(1)"}), "GET", "/"))
	if strings.Contains(page, "javascript:") {
		t.Error("a javascript: card URL reached the page")
	}
}

// absoluteURL matches an http(s) or protocol-relative URL.
var absoluteURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

// svgNamespace is the SVG namespace name: an identifier in the icon's
// xmlns attribute, never fetched.
const svgNamespace = "http://www.w3.org/2000/svg"

func TestAssetsReachNoOtherOrigin(t *testing.T) {
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(b), `xmlns="`+svgNamespace+`"`, "")
		if m := absoluteURL.FindString(s); m != "" {
			t.Errorf("%s names an absolute URL %q", path, m)
		}
		for _, bad := range []string{"localStorage", "sessionStorage", "indexedDB", "document.cookie", "@import", "@font-face", "eval(", "new Function", "innerHTML", "onclick=", "onload=", "onsubmit=", "style=\"", "<script>"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rendered page as well (the template's output, with any config).
	page := body(t, get(t, Handler(Config{Title: "t", CardURL: "card.md", Models: []string{"a", "b"}}), "GET", "/"))
	if m := absoluteURL.FindString(page); m != "" {
		t.Errorf("the page names an absolute URL %q", m)
	}
	if n := strings.Count(page, "<script"); n != 1 || !strings.Contains(page, `<script src="ui/app.js" defer></script>`) {
		t.Errorf("the page has %d script tags, want only ui/app.js", n)
	}
}

// The scanner itself must catch what it is meant to.
func TestAbsoluteURLPattern(t *testing.T) {
	for _, s := range []string{"https://cdn.example.com/x.js", "http://fonts.googleapis.com", "//cdn.jsdelivr.net/npm/x", "HTTP://EXAMPLE.ORG"} {
		if !absoluteURL.MatchString(s) {
			t.Errorf("%q not caught", s)
		}
	}
	for _, s := range []string{"ui/app.js", "fetch('diagnose')", "// a comment about foo.bar", "1.5rem"} {
		if absoluteURL.MatchString(s) {
			t.Errorf("%q wrongly caught", s)
		}
	}
}

func TestDemoNoteMatchesScript(t *testing.T) {
	js, err := assets.ReadFile("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)var DEMO_NOTE = (.*?);\n`).FindSubmatch(js)
	if m == nil {
		t.Fatal("app.js has no DEMO_NOTE")
	}
	var note strings.Builder
	for _, part := range regexp.MustCompile(`'([^']*)'`).FindAllSubmatch(m[1], -1) {
		note.Write(part[1])
	}
	if note.String() != DemoNote {
		t.Errorf("app.js DEMO_NOTE %q differs from DemoNote %q", note.String(), DemoNote)
	}
}
