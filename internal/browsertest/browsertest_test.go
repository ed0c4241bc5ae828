package browsertest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInspectCountsColoursAndInk(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	img.Set(2, 1, color.RGBA{255, 0, 0, 255})
	img.Set(3, 1, color.RGBA{0, 0, 255, 255})
	s, err := Inspect(encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 10 || s.Height != 10 || s.Colors != 3 || s.Inked != 0.03 {
		t.Fatalf("stats %+v, want 10x10, 3 colours, 0.03 inked", s)
	}
}

func TestCheckNotBlank(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range white.Pix {
		white.Pix[i] = 0xff
	}
	if _, err := CheckNotBlank(encodePNG(t, white)); !errors.Is(err, ErrBlank) {
		t.Fatalf("white image: err %v, want ErrBlank", err)
	}
	// One dark pixel on white is still blank (2 colours).
	white.Pix[5] = 0
	if _, err := CheckNotBlank(encodePNG(t, white)); !errors.Is(err, ErrBlank) {
		t.Fatalf("one dot: err %v, want ErrBlank", err)
	}
	// A gradient band across a quarter of the image is not.
	for y := range 16 {
		for x := range 64 {
			white.Pix[y*64+x] = uint8(4 * x)
		}
	}
	s, err := CheckNotBlank(encodePNG(t, white))
	if err != nil {
		t.Fatal(err)
	}
	if s.Colors != 65 { // 64 shades and the white below
		t.Errorf("gradient: %d colours, want 65", s.Colors)
	}
	if _, err := CheckNotBlank([]byte("not a png")); err == nil || errors.Is(err, ErrBlank) {
		t.Errorf("garbage: err %v, want a decoding error", err)
	}
}

func TestFindWithoutBrowser(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if p, err := Find(); err == nil {
		t.Fatalf("Find found %q on an empty PATH", p)
	} else if !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("error %q does not say how to install chromium", err)
	}
}

func TestLoopbackOnly(t *testing.T) {
	b := &Browser{Path: "/nonexistent/chromium"}
	for _, u := range []string{"http://example.com/", "file:///etc/passwd", "https://127.0.0.1/", "http://10.0.0.1:8080/", "http://localhost:80/"} {
		if _, err := b.DumpDOM(context.Background(), u); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("%s: err %v, want a loopback refusal", u, err)
		}
	}
	if err := checkLoopback("http://127.0.0.1:4321/x?y=1"); err != nil {
		t.Errorf("loopback URL refused: %v", err)
	}
}

func TestPageRequestsFromNetLog(t *testing.T) {
	log := `{"constants":{"logEventTypes":{"URL_REQUEST_START_JOB":136,"OTHER":2}},"events":[
{"type":136,"params":{"url":"https://update.example/x","method":"POST","initiator":"not an origin","request_type":"other"}},
{"type":136,"params":{"url":"http://127.0.0.1:9/p","method":"GET","initiator":"not an origin","request_type":"main frame"}},
{"type":2,"params":{"url":"http://127.0.0.1:9/ignored"}},
{"type":136,"params":{"url":"http://other.example/a.png","method":"GET","initiator":"http://127.0.0.1:9","request_type":"other"}}]}`
	got, err := pageRequests([]byte(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []Request{{"GET", "http://127.0.0.1:9/p", ""}, {"GET", "http://other.example/a.png", "http://127.0.0.1:9"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
	p := &Page{URL: "http://127.0.0.1:9/p", Requests: got}
	if c := p.CrossOrigin(); len(c) != 1 || c[0].URL != "http://other.example/a.png" {
		t.Errorf("cross-origin %+v, want the other.example image only", c)
	}
	if _, err := pageRequests([]byte(`{"constants":{}, "events":[]}`)); err == nil {
		t.Error("a net log without the event name was accepted")
	}
}

// probe is a page whose script rewrites the DOM, draws a coloured block,
// and tries to reach another origin by fetch and by image.
const probe = `<!DOCTYPE html><html><head><title>probe</title><style>
#b{width:300px;height:120px;background:linear-gradient(90deg,#c33,#36c)}</style></head>
<body><p id="x">script did not run</p><div id="b"></div><img src="http://outside.example/i.png" alt="">
<script>
document.getElementById("x").textContent = "script ran";
fetch("http://outside.example/leak").then(function(){document.title="reached"}, function(){document.title="blocked"}).then(function(){
  document.getElementById("x").dataset.fetch = document.title;
});
</script></body></html>`

// logServer serves body at / and records every path asked for.
func logServer(t *testing.T, body string) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

func TestBrowserRunsScriptsAndBlocksOtherOrigins(t *testing.T) {
	b := New(t)
	srv, _ := logServer(t, probe)
	if u, _ := url.Parse(srv.URL); u.Hostname() != "127.0.0.1" {
		t.Fatalf("test server on %s, not loopback", srv.URL)
	}
	p, err := b.DumpDOM(context.Background(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.DOM, `<p id="x" data-fetch="blocked">script ran</p>`) {
		t.Errorf("DOM lacks the script's work and the blocked fetch:\n%s", p.DOM)
	}
	cross := p.CrossOrigin()
	var urls []string
	for _, r := range cross {
		urls = append(urls, r.URL)
	}
	got := strings.Join(urls, " ")
	if !strings.Contains(got, "http://outside.example/leak") || !strings.Contains(got, "http://outside.example/i.png") {
		t.Errorf("net log missed the page's outside requests: %q", got)
	}
}

func TestScreenshotOfDrawnAndEmptyPages(t *testing.T) {
	b := New(t)
	srv, _ := logServer(t, probe)
	p, err := b.Screenshot(context.Background(), srv.URL+"/", 480, 320)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CheckNotBlank(p.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if s.Width != 480 || s.Height != 320 {
		t.Errorf("screenshot %dx%d, want 480x320", s.Width, s.Height)
	}
	if dir := os.Getenv("MEDBERT_SCREENSHOT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "probe.png"), p.PNG, 0o644)
	}
	empty, _ := logServer(t, `<!DOCTYPE html><html><body></body></html>`)
	p, err = b.Screenshot(context.Background(), empty.URL+"/", 320, 200)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckNotBlank(p.PNG); !errors.Is(err, ErrBlank) {
		t.Errorf("empty page: err %v, want ErrBlank", err)
	}
}

func TestRunIsBounded(t *testing.T) {
	b := New(t)
	b.Timeout = 200 * time.Millisecond // chromium needs about a second: killed mid-run
	srv, _ := logServer(t, probe)
	start := time.Now()
	_, err := b.DumpDOM(context.Background(), srv.URL+"/")
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("err %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a timed-out run took %v", d)
	}
}
