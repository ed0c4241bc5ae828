package serve

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// token is one accepted bearer token, kept only as its sha256 so that
// comparisons take the same time whatever the token's length.
type token struct {
	caller string
	sum    [sha256.Size]byte
}

// readTokens reads a token file: one token per line, either "TOKEN" or
// "NAME TOKEN"; blank lines and lines starting with # are skipped. The
// caller identity in audit records is NAME, or "token-LINE".
func readTokens(path string) ([]token, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	var toks []token
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		var t token
		switch len(fields) {
		case 1:
			t = token{caller: "token-" + strconv.Itoa(line), sum: sha256.Sum256([]byte(fields[0]))}
		case 2:
			t = token{caller: fields[0], sum: sha256.Sum256([]byte(fields[1]))}
		default:
			// The line is not quoted back: it holds a secret.
			return nil, fmt.Errorf("token file %s:%d: want TOKEN or NAME TOKEN", path, line)
		}
		if len(fields[len(fields)-1]) < 16 {
			return nil, fmt.Errorf("token file %s:%d: token shorter than 16 characters", path, line)
		}
		toks = append(toks, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("token file %s: no tokens", path)
	}
	return toks, nil
}

// authenticate checks the bearer token against every accepted token, in
// constant time per token and without stopping at a match.
func authenticate(toks []token, r *http.Request) (caller string, ok bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(cred)))
	for _, t := range toks {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
			caller, ok = t.caller, true
		}
	}
	return caller, ok
}
