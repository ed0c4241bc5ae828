// Package browsertest drives headless Chromium from Go tests: it loads a
// page served on the loopback interface, dumps the DOM after the page's
// scripts ran, takes a screenshot, and tells whether a screenshot is blank.
//
// Chromium is looked up on PATH as "chromium" or "chromium-browser" (the
// Debian package "chromium"). Without it, New skips the test with the
// reason, unless MEDBERT_REQUIRE_BROWSER=1, which makes it fail, so CI
// cannot pass by skipping silently.
//
// Every run gets a fresh profile, a context deadline, and host-resolver
// rules under which any host but 127.0.0.1 does not resolve: a page that
// tries to reach another origin gets an error, never the network.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing browser
// from a skip into a failure.
const RequireEnv = "MEDBERT_REQUIRE_BROWSER"

// Names are the executables looked up on PATH, in order.
var Names = []string{"chromium", "chromium-browser"}

// DefaultTimeout bounds one browser run when Browser.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Browser is one headless Chromium executable.
type Browser struct {
	Path string
	// Timeout bounds each run (default DefaultTimeout); the context given
	// to a method may end it sooner.
	Timeout time.Duration
	// Budget is the virtual time, in milliseconds, the page gets to run
	// its scripts and fetches before the DOM is dumped or the screenshot
	// taken (default 5000).
	Budget int
}

// Find returns the path of the first of Names found on PATH.
func Find() (string, error) {
	for _, n := range Names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("browsertest: none of %s is on PATH (Debian: apt-get install chromium)", strings.Join(Names, ", "))
}

// New returns the browser found by Find, or skips t when there is none,
// or fails t when RequireEnv is "1".
func New(t testing.TB) *Browser {
	t.Helper()
	p, err := Find()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v, and %s=1 requires it", err, RequireEnv)
		}
		t.Skipf("%v; set %s=1 to fail instead of skipping", err, RequireEnv)
	}
	return &Browser{Path: p}
}

// Page is what one browser run saw.
type Page struct {
	URL string
	// DOM is the document serialised after the scripts ran (DumpDOM only).
	DOM string
	// PNG is the screenshot (Screenshot only).
	PNG []byte
	// Requests are the requests the page made, in order, the page itself
	// first, read from Chromium's net log; the browser's own background
	// requests (updates, dictionaries) are left out. Requests that failed,
	// such as those to a host that does not resolve, are included.
	Requests []Request
}

// DumpDOM loads pageURL and returns the document as serialised after its
// scripts ran for the virtual-time budget.
func (b *Browser) DumpDOM(ctx context.Context, pageURL string) (*Page, error) {
	out, reqs, err := b.run(ctx, pageURL, "--dump-dom")
	if err != nil {
		return nil, err
	}
	return &Page{URL: pageURL, DOM: string(out), Requests: reqs}, nil
}

// Screenshot loads pageURL in a width×height window and returns the PNG
// taken after the virtual-time budget.
func (b *Browser) Screenshot(ctx context.Context, pageURL string, width, height int) (*Page, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("browsertest: window size %dx%d must be positive", width, height)
	}
	dir, err := os.MkdirTemp("", "browsertest-shot-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "screenshot.png")
	_, reqs, err := b.run(ctx, pageURL, "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", width, height))
	if err != nil {
		return nil, err
	}
	png, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("browsertest: chromium wrote no screenshot of %s: %w", pageURL, err)
	}
	return &Page{URL: pageURL, PNG: png, Requests: reqs}, nil
}

// CrossOrigin returns the requests whose URL is not on the page's origin
// (scheme, host and port); data: URLs count as the page's own.
func (p *Page) CrossOrigin() []Request {
	own, err := url.Parse(p.URL)
	if err != nil {
		return p.Requests
	}
	var out []Request
	for _, r := range p.Requests {
		u, err := url.Parse(r.URL)
		if err == nil && (u.Scheme == "data" || (u.Scheme == own.Scheme && u.Host == own.Host)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// checkLoopback refuses any page that is not served on 127.0.0.1.
func checkLoopback(pageURL string) error {
	u, err := url.Parse(pageURL)
	if err != nil {
		return fmt.Errorf("browsertest: page URL: %w", err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("browsertest: %q is not an http URL on 127.0.0.1; tests load loopback pages only", pageURL)
	}
	return nil
}

// Args are the flags of every run besides the action and the URL.
func (b *Browser) args(profile string) []string {
	budget := b.Budget
	if budget <= 0 {
		budget = 5000
	}
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + profile,
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-breakpad", "--metrics-recording-only",
		"--mute-audio", "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-US",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		fmt.Sprintf("--virtual-time-budget=%d", budget),
	}
}

func (b *Browser) run(ctx context.Context, pageURL string, action ...string) ([]byte, []Request, error) {
	if err := checkLoopback(pageURL); err != nil {
		return nil, nil, err
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	profile, err := os.MkdirTemp("", "browsertest-profile-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(profile)
	netLog := filepath.Join(profile, "netlog.json")

	args := append(b.args(profile), "--log-net-log="+netLog)
	args = append(args, action...)
	args = append(args, pageURL)
	cmd := exec.CommandContext(ctx, b.Path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+profile)
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("browsertest: chromium did not finish %s within %v: %w", pageURL, timeout, ctx.Err())
	}
	if err != nil {
		return nil, nil, fmt.Errorf("browsertest: chromium on %s: %w\n%s", pageURL, err, tail(stderr.String(), 15))
	}
	log, err := os.ReadFile(netLog)
	if err != nil {
		return nil, nil, fmt.Errorf("browsertest: chromium wrote no net log: %w", err)
	}
	reqs, err := pageRequests(log)
	if err != nil {
		return nil, nil, err
	}
	return stdout.Bytes(), reqs, nil
}

// tail returns the last n lines of s that are not the D-Bus complaints a
// headless browser without a session bus always prints.
func tail(s string, n int) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l == "" || strings.Contains(l, "dbus") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}

// ErrBlank is returned by CheckNotBlank for a screenshot with (almost)
// nothing drawn.
var ErrBlank = errors.New("browsertest: the screenshot is blank")
