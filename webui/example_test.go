package webui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/medbert/medbert/webui"
)

// Mount the page at "/" of the server that answers POST /diagnose; the
// more specific /diagnose route wins.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/", webui.Handler(webui.Config{
		Title:   "medbert — cardiology",
		CardURL: "/card/MODEL_CARD.md",
		Models:  []string{"cardio-bert"},
	}))
	mux.HandleFunc("POST /diagnose", func(w http.ResponseWriter, r *http.Request) { /* the model */ })

	for _, path := range []string{"/", "/ui/app.js", "/ui/missing.js"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code, rec.Header().Get("Content-Type"))
	}
	fmt.Println(webui.CSP)
	// Output:
	// / 200 text/html; charset=utf-8
	// /ui/app.js 200 text/javascript; charset=utf-8
	// /ui/missing.js 404 text/plain; charset=utf-8
	// default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'
}
