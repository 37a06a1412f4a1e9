// bench-proxy is the Go baseline of `npm run bench:proxy`: an authenticating, impersonating
// reverse proxy doing the same work per request as Corral's proxy path, written the way a Go
// service such as Rancher's would be, with the standard library only. It terminates TLS (Corral
// does; `kubectl proxy`, the other baseline, serves plain HTTP), checks a bearer token against a
// SHA-256 hash in memory, drops the client's credential and Impersonate-* headers, sets
// Impersonate-User, and forwards over keep-alive TLS with a client certificate.
// It is a measuring stick only; nothing in Corral runs it.
package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	upstream := flag.String("upstream", "", "kube-apiserver URL")
	ca := flag.String("upstream-ca", "", "kube-apiserver CA (PEM file)")
	cert := flag.String("client-cert", "", "client certificate for the API server (PEM file)")
	key := flag.String("client-key", "", "client key for the API server (PEM file)")
	servingCert := flag.String("tls-cert", "", "serving certificate (PEM file)")
	servingKey := flag.String("tls-key", "", "serving key (PEM file)")
	token := flag.String("token", "", "the one bearer token accepted")
	user := flag.String("user", "", "the user it impersonates")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(*ca)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		log.Fatalf("upstream CA: %v", err)
	}
	client, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		log.Fatal(err)
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{client}},
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   false,
	}
	want := sha256.Sum256([]byte(*token))
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			for name := range r.Out.Header {
				if strings.HasPrefix(strings.ToLower(name), "impersonate-") {
					r.Out.Header.Del(name)
				}
			}
			r.Out.Header.Del("Authorization")
			r.Out.Header.Del("Cookie")
			r.Out.Header.Set("Impersonate-User", *user)
		},
		Transport:     transport,
		FlushInterval: -1,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(bearer))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("serving on https://%s\n", ln.Addr())
	server := &http.Server{Handler: handler, ErrorLog: log.New(os.Stderr, "", 0)}
	// HTTP/1.1 only, as Corral's server speaks it: the clients and the work compare one to one.
	server.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	log.Fatal(server.ServeTLS(ln, *servingCert, *servingKey))
}
