package main

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
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCert makes a self-signed certificate for 127.0.0.1 and localhost.
func testCert(t *testing.T, serial int64) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "disclose test " + big.NewInt(serial).String()},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}

// writeAtomic replaces a file the way certbot does: a new file renamed over.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestTLS serves HTTPS from certificate files with the real binary, checks
// HSTS and Secure cookies, swaps the certificate and sends SIGHUP, and
// checks that a broken replacement keeps the working certificate.
func TestTLS(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1, x1 := testCert(t, 1001)
	c2, k2, x2 := testCert(t, 1002)
	writeAtomic(t, certFile, c1)
	writeAtomic(t, keyFile, k1)
	p := startServe(t, bin, "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("serving %s, want https", p.url)
	}
	roots := x509.NewCertPool()
	roots.AddCert(x1)
	roots.AddCert(x2)
	// A new connection per request, so each sees the certificate of the moment.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true}}
	served := func() (*x509.Certificate, *http.Response) {
		t.Helper()
		resp, err := client.Get(p.url + "report")
		if err != nil {
			t.Fatalf("HTTPS request: %v\n%s", err, p.log())
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0], resp
	}

	t.Run("OK", func(t *testing.T) {
		cert, resp := served()
		if cert.SerialNumber.Int64() != 1001 {
			t.Fatalf("serial %v, want 1001", cert.SerialNumber)
		}
		if !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Fatal("no HSTS over https")
		}
		ck := resp.Header.Get("Set-Cookie")
		if !strings.HasPrefix(ck, "__Host-") || !strings.Contains(ck, "Secure") {
			t.Fatalf("cookie %q is not a Secure __Host- cookie", ck)
		}
	})
	t.Run("ReloadOnSIGHUP", func(t *testing.T) {
		writeAtomic(t, certFile, c2)
		writeAtomic(t, keyFile, k2)
		p.signal(t, syscall.SIGHUP)
		p.waitLog(t, "tls certificate reloaded", "1002")
		if cert, _ := served(); cert.SerialNumber.Int64() != 1002 {
			t.Fatalf("serial %v after SIGHUP, want 1002", cert.SerialNumber)
		}
	})
	t.Run("ErrBrokenReloadKeepsCertificate", func(t *testing.T) {
		writeAtomic(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"))
		p.signal(t, syscall.SIGHUP)
		p.waitLog(t, "TLS certificate reload failed")
		if cert, _ := served(); cert.SerialNumber.Int64() != 1002 {
			t.Fatalf("serial %v after a broken reload, want 1002", cert.SerialNumber)
		}
	})
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestServeBadEnvironment checks that what an operator must fix stops serve
// once, with one clear line and exit status 78 (which the systemd unit does
// not restart), instead of a crash loop.
func TestServeBadEnvironment(t *testing.T) {
	bin := buildBinary(t)
	run := func(t *testing.T, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	t.Run("ErrDataDirIsAFile", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o600)
		out, code := run(t, "--data", f)
		if code != exitConfig || !strings.Contains(out, "DISCLOSE_DATA") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("ErrUnreadableDataDir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "locked")
		os.Mkdir(dir, 0o700)
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dir)
		if os.Geteuid() == 0 {
			// Root reads every directory: run as nobody against root's dir.
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		} else {
			os.Chmod(dir, 0o000)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
		}
		out, err := cmd.CombinedOutput()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != exitConfig || !strings.Contains(string(out), "DISCLOSE_DATA") || !strings.Contains(string(out), "permission denied") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("ErrSecondServe", func(t *testing.T) {
		data := t.TempDir()
		p := startServe(t, bin, "--data", data, "--addr", "127.0.0.1:0")
		out, code := run(t, "--data", data)
		if code != exitConfig || !strings.Contains(out, "another disclose serve is running") {
			t.Fatalf("exit %d: %s", code, out)
		}
		p.signal(t, syscall.SIGTERM)
		p.wait(t)
	})
	t.Run("ErrDamagedDatabase", func(t *testing.T) {
		data := t.TempDir()
		os.WriteFile(filepath.Join(data, "disclose.db"), []byte(strings.Repeat("not a database ", 1000)), 0o600)
		out, code := run(t, "--data", data)
		if code != exitConfig || !strings.Contains(out, "restore the last backup") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("ErrTLSKeyMissing", func(t *testing.T) {
		dir := t.TempDir()
		c, _, _ := testCert(t, 7)
		os.WriteFile(filepath.Join(dir, "c.pem"), c, 0o600)
		out, code := run(t, "--data", dir, "--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "missing.pem"))
		if code != exitConfig || !strings.Contains(out, "DISCLOSE_TLS_CERT") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
}
