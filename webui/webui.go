// Package webui is the clinician-facing page of medbert serve: a note box,
// the top diagnoses with their scores, the note's words highlighted by their
// attribution, and a permanent "decision support — review required" banner.
//
// Everything the page needs is embedded in the binary (one HTML template,
// one stylesheet, one small vanilla script, one icon): no CDN, no web font,
// no build step, and a strict Content-Security-Policy that lets the page
// talk to its own origin only. The script POSTs to "diagnose" relative to
// the page, so the page works behind a path-prefix proxy too.
//
// A de-identification preview is not part of the page yet.
//
// Test hook: opening the page with ?demo=1 fills the note box with a fixed,
// synthetic sample note (DemoNote) when it is empty and submits it, so a
// headless browser can exercise the whole round trip without typing.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// CSP is the Content-Security-Policy of every response: the page loads
// scripts, styles and data only from its own origin (images may also be
// data: URLs), and no inline script or style runs.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'"

// Banner is the permanent notice at the top of the page.
const Banner = "Decision support — review required by a qualified clinician"

// DemoNote is the synthetic note that ?demo=1 submits (it names no real
// person). It must stay equal to the sample in assets/app.js; a test checks.
const DemoNote = "58-year-old man with crushing chest pain radiating to the left arm for two hours, " +
	"diaphoresis and nausea. ECG: ST elevation in II, III and aVF. Troponin markedly raised. " +
	"Denies fever or cough."

// Config is what the page shows around the form.
type Config struct {
	// Title heads the page and names the browser tab (default "medbert").
	Title string
	// CardURL links to the model card; empty hides the link. Unsafe
	// schemes (javascript: and the like) are neutralised by html/template.
	CardURL string
	// Models are the names the user can choose from; with two or more the
	// page shows a selector and sends the choice as "model".
	Models []string
}

//go:embed assets
var assets embed.FS

var indexTemplate = template.Must(template.ParseFS(assets, "assets/index.html"))

// asset is one file ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// The static assets by URL path; index.html is served (rendered) at "/".
var assetTypes = map[string]string{
	"app.js":   "text/javascript; charset=utf-8",
	"app.css":  "text/css; charset=utf-8",
	"icon.svg": "image/svg+xml",
}

// Handler returns the page's handler: "/" is the page and "/ui/NAME" its
// assets; every other path is 404 and every method but GET and HEAD is 405.
// Mount it at "/" (and so "/ui/") of the server that answers POST /diagnose.
func Handler(cfg Config) http.Handler {
	if strings.TrimSpace(cfg.Title) == "" {
		cfg.Title = "medbert"
	}
	var b bytes.Buffer
	err := indexTemplate.Execute(&b, struct {
		Config
		Banner string
	}{cfg, Banner})
	if err != nil {
		// Only a broken embedded template can fail here, and the tests
		// would catch that first.
		panic(fmt.Sprintf("webui: rendering the page: %v", err))
	}
	h := &handler{index: newAsset(b.Bytes(), "text/html; charset=utf-8"), files: map[string]asset{}}
	for name, ctype := range assetTypes {
		body, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic(fmt.Sprintf("webui: embedded asset %s: %v", name, err))
		}
		h.files["/ui/"+name] = newAsset(body, ctype)
	}
	return h
}

func newAsset(body []byte, ctype string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

type handler struct {
	index asset
	files map[string]asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", CSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")

	// Only exact paths match: the map's keys are clean, so "/ui/../x",
	// "/ui//app.js" and the like are 404 without a redirect.
	a, ok := h.files[r.URL.Path]
	if r.URL.Path == "/" {
		a, ok = h.index, true
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("ETag", a.etag)
	// no-cache: revalidate with the ETag, so a new binary's page is never
	// mixed with an old script.
	hdr.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
