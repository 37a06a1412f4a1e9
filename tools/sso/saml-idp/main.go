// Command saml-idp runs a real SAML 2.0 identity provider for Corral's single sign-on tests:
// github.com/crewjam/saml's samlidp server (its IdP signs each assertion with its key), over
// HTTPS. Users and service providers are added through samlidp's own HTTP API (PUT /users/<name>,
// PUT /services/<id> with the SP's metadata), so a test registers Corral from the metadata Corral
// serves, as an administrator would.
//
// Environment: BASE_URL (https://127.0.0.1:PORT), LISTEN (127.0.0.1:PORT), TLS_CERT, TLS_KEY (the
// HTTPS pair), SIGNING_CERT, SIGNING_KEY (PEM; the IdP's SAML signing pair).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/crewjam/saml/logger"
	"github.com/crewjam/saml/samlidp"
)

func need(name string) string {
	v := os.Getenv(name)
	if v == "" {
		fmt.Fprintf(os.Stderr, "saml-idp: %s is required\n", name)
		os.Exit(2)
	}
	return v
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "saml-idp: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	base, err := url.Parse(need("BASE_URL"))
	if err != nil {
		fail("BASE_URL", err)
	}
	pair, err := tls.LoadX509KeyPair(need("SIGNING_CERT"), need("SIGNING_KEY"))
	if err != nil {
		fail("signing pair", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		fail("signing certificate", err)
	}
	server, err := samlidp.New(samlidp.Options{
		URL:         *base,
		Key:         pair.PrivateKey,
		Certificate: cert,
		Logger:      logger.DefaultLogger,
		Store:       &samlidp.MemoryStore{},
	})
	if err != nil {
		fail("samlidp", err)
	}
	slog.Info("serving", "url", base.String())
	httpServer := &http.Server{Addr: need("LISTEN"), Handler: server}
	if err := httpServer.ListenAndServeTLS(need("TLS_CERT"), need("TLS_KEY")); err != http.ErrServerClosed {
		fail("server stopped", err)
	}
}
