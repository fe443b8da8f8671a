package server

import (
	"crypto/tls"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate in two files and loads them again when either
// changes (checked at most once a second), so that a renewed certificate is used without
// a restart. A failed reload keeps the previous certificate.
type certReloader struct {
	cert, key string
	mu        sync.Mutex
	current   *tls.Certificate
	stamp     [2]time.Time
	checked   time.Time
	onError   func(error)
}

func newCertReloader(cert, key string, onError func(error)) (*certReloader, error) {
	r := &certReloader{cert: cert, key: key, onError: onError}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) load() error {
	c, err := tls.LoadX509KeyPair(r.cert, r.key)
	if err != nil {
		return err
	}
	st := r.stamps()
	r.current, r.stamp = &c, st
	return nil
}

func (r *certReloader) stamps() [2]time.Time {
	var st [2]time.Time
	for i, f := range []string{r.cert, r.key} {
		if fi, err := os.Stat(f); err == nil {
			st[i] = fi.ModTime()
		}
	}
	return st
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= time.Second {
		r.checked = now
		if r.stamps() != r.stamp {
			if err := r.load(); err != nil && r.onError != nil {
				r.onError(err)
			}
		}
	}
	return r.current, nil
}
