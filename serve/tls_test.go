package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA made in the test, with a server certificate for
// 127.0.0.1 and a client certificate.
type testPKI struct {
	dir                string
	caPool             *x509.CertPool
	client, strangerCl tls.Certificate
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool, usage x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func newPKI(t *testing.T) *testPKI {
	dir := t.TempDir()
	ca, caKey, caPEM, _ := newCert(t, "medbert test CA", nil, nil, true, 0)
	_, _, srvPEM, srvKey := newCert(t, "127.0.0.1", ca, caKey, false, x509.ExtKeyUsageServerAuth)
	_, _, clPEM, clKey := newCert(t, "ehr-client", ca, caKey, false, x509.ExtKeyUsageClientAuth)
	other, otherKey, _, _ := newCert(t, "other CA", nil, nil, true, 0)
	_, _, stPEM, stKey := newCert(t, "stranger", other, otherKey, false, x509.ExtKeyUsageClientAuth)
	for name, data := range map[string][]byte{"ca.pem": caPEM, "tls.crt": srvPEM, "tls.key": srvKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &testPKI{dir: dir, caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	var err error
	if p.client, err = tls.X509KeyPair(clPEM, clKey); err != nil {
		t.Fatal(err)
	}
	if p.strangerCl, err = tls.X509KeyPair(stPEM, stKey); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) config(clientCA bool) Config {
	cfg := testConfig()
	cfg.TLSCert, cfg.TLSKey = filepath.Join(p.dir, "tls.crt"), filepath.Join(p.dir, "tls.key")
	if clientCA {
		cfg.ClientCA = filepath.Join(p.dir, "ca.pem")
	}
	return cfg
}

func tlsClient(tc *tls.Config) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

func TestTLSWithClientCertificates(t *testing.T) {
	p := newPKI(t)
	aud := &memAuditor{}
	ts := startServer(t, p.config(true), aud)
	url := strings.Replace(ts.url, "http://", "https://", 1) + "/diagnose"
	post := func(c *http.Client) (int, error) {
		resp, err := c.Post(url, "application/json", strings.NewReader(`{"text": "cough"}`))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	good := &tls.Config{RootCAs: p.caPool, Certificates: []tls.Certificate{p.client}}
	if status, err := post(tlsClient(good)); err != nil || status != 200 {
		t.Fatalf("client with a certificate from the CA: %d %v", status, err)
	}
	if ds, _ := aud.snapshot(); len(ds) != 1 || ds[0].Caller != "cn=ehr-client" {
		t.Errorf("caller identity from the client certificate: %+v", ds)
	}
	refused := map[string]*tls.Config{
		"TLS 1.1 client":        {RootCAs: p.caPool, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
		"client without a cert": {RootCAs: p.caPool},
		"cert from another CA":  {RootCAs: p.caPool, Certificates: []tls.Certificate{p.strangerCl}},
		"CBC suite only": {RootCAs: p.caPool, Certificates: []tls.Certificate{p.client}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}},
	}
	for name, tc := range refused {
		// "remote error": the server, not the client, ended the handshake.
		if status, err := post(tlsClient(tc)); err == nil || !strings.Contains(err.Error(), "remote error: tls") {
			t.Errorf("%s: answered %d (%v), want a handshake the server refuses", name, status, err)
		}
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Post(ts.url+"/diagnose", "application/json", strings.NewReader(`{"text": "cough"}`)); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS port")
		}
		resp.Body.Close()
	}
}

func TestTLSWithoutClientCA(t *testing.T) {
	p := newPKI(t)
	ts := startServer(t, p.config(false), nil)
	c := tlsClient(&tls.Config{RootCAs: p.caPool, MinVersion: tls.VersionTLS13})
	resp, err := c.Get(strings.Replace(ts.url, "http://", "https://", 1) + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("status %d, TLS %+v", resp.StatusCode, resp.TLS)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	p := newPKI(t)
	cfg := p.config(true)
	cfg.ClientCA = filepath.Join(p.dir, "tls.key") // no certificate in it
	if _, err := TLSConfig(cfg); err == nil || !strings.Contains(err.Error(), "--client-ca") {
		t.Errorf("a CA file without certificates: %v", err)
	}
	cfg = p.config(false)
	cfg.TLSKey = filepath.Join(p.dir, "missing.key")
	if _, err := TLSConfig(cfg); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("a missing key: %v", err)
	}
	tc, err := TLSConfig(p.config(true))
	if err != nil || tc.MinVersion != tls.VersionTLS12 || tc.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Errorf("config %+v, %v", tc, err)
	}
	if off, err := TLSConfig(testConfig()); off != nil || err != nil {
		t.Errorf("TLS off: %v %v", off, err)
	}
}
