package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 named cn.
func writeCert(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: nil,
		DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSAndReload serves HTTPS from certificate files and picks up a replaced
// certificate without a restart; pprof stays off unless enabled.
func TestTLSAndReload(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeCert(t, cert, key, "first")
	cfg, err := ParseConfig("hub.yaml", []byte("listen: 127.0.0.1:0\nhttp: {tls: {cert_file: c.pem, key_file: k.pem}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.resolvePaths(dir)
	s, err := New(context.Background(), cfg, &Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for s.Addr() == "" {
		time.Sleep(5 * time.Millisecond)
	}
	peer := func() (string, int) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true} // self-signed test certificate
		resp, err := (&http.Client{Transport: tr}).Get("https://" + s.Addr() + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName, resp.StatusCode
	}
	cn, code := peer()
	if cn != "first" || code != http.StatusNotFound {
		t.Errorf("got certificate %q and pprof status %d; want first and 404 (pprof off)", cn, code)
	}
	time.Sleep(1100 * time.Millisecond) // modification times must differ
	writeCert(t, cert, key, "second")
	eventually(t, "the replaced certificate", func() bool {
		cn, _ := peer()
		return cn == "second"
	})
}
