// corral-apiserver-proxy gives the components of a node without the controlplane role one API
// server address, 127.0.0.1:6443, and spreads their connections over every control-plane node,
// moving on from one that does not answer. RKE ran an nginx container for this ("nginx-proxy");
// Corral runs no containers, and the job is plain TCP: TLS stays end to end between the
// component and kube-apiserver, whose certificate carries 127.0.0.1 among its names.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A backend that refused a connection is tried last for this long, so that every new connection
// does not first wait for a dead node's dial timeout.
const downFor = 5 * time.Second

type backends struct {
	addrs     []string
	next      atomic.Uint64
	mu        sync.Mutex
	downUntil map[string]time.Time
}

// order is round-robin from a moving start, with backends that failed recently last: if all of
// them failed recently, they are all still tried.
func (b *backends) order() []string {
	start := int(b.next.Add(1)-1) % len(b.addrs)
	now := time.Now()
	up := make([]string, 0, len(b.addrs))
	var down []string
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.addrs {
		a := b.addrs[(start+i)%len(b.addrs)]
		if b.downUntil[a].After(now) {
			down = append(down, a)
		} else {
			up = append(up, a)
		}
	}
	return append(up, down...)
}

func (b *backends) mark(addr string, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if failed {
		b.downUntil[addr] = time.Now().Add(downFor)
	} else {
		delete(b.downUntil, addr)
	}
}

func (b *backends) dial(timeout time.Duration) (net.Conn, error) {
	var errs []error
	for _, addr := range b.order() {
		conn, err := net.DialTimeout("tcp", addr, timeout)
		if err == nil {
			b.mark(addr, false)
			return conn, nil
		}
		b.mark(addr, true)
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func relay(client net.Conn, b *backends, dialTimeout time.Duration) {
	defer client.Close()
	server, err := b.dial(dialTimeout)
	if err != nil {
		log.Printf("no API server reachable for %s: %v", client.RemoteAddr(), err)
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	copyHalf := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		// Pass the end of one direction on, so that each side sees the other's close.
		if tcp, ok := dst.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}
	wg.Add(2)
	go copyHalf(server, client)
	go copyHalf(client, server)
	wg.Wait()
}

type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(*l) }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:6443", "address to accept connections on")
	dialTimeout := flag.Duration("dial-timeout", 3*time.Second, "how long to wait for one API server to accept")
	var addrs listFlag
	flag.Var(&addrs, "backend", "a kube-apiserver host:port (repeat for each control-plane node)")
	flag.Parse()
	if len(addrs) == 0 {
		fmt.Fprintln(os.Stderr, "corral-apiserver-proxy: give at least one --backend host:port")
		os.Exit(2)
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			fmt.Fprintf(os.Stderr, "corral-apiserver-proxy: --backend %q: %v\n", a, err)
			os.Exit(2)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen on %s: %v", *listen, err)
	}
	log.Printf("proxying %s to %v", *listen, addrs)
	b := &backends{addrs: addrs, downUntil: map[string]time.Time{}}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		_ = ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			log.Printf("accept: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go relay(conn, b, *dialTimeout)
	}
}
