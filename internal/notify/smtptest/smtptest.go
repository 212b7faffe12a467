// Package smtptest runs a real, minimal SMTP server inside a test, on 127.0.0.1 and a free port,
// and records what it receives. It speaks EHLO/HELO, STARTTLS (optional), AUTH PLAIN, MAIL FROM,
// RCPT TO, DATA (with dot-unstuffing), RSET, NOOP and QUIT, and can be told to refuse messages
// so that tests see how senders handle temporary and permanent failures.
//
//	srv := smtptest.Start(t)
//	// point the code under test at srv.Host(), srv.Port(), TLS "none"
//	msgs, err := srv.WaitFor(1, 5*time.Second)
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	// From and To are the envelope (MAIL FROM and RCPT TO), not the headers.
	From string
	To   []string
	// Data is the message as received after dot-unstuffing, with its CRLF line ends.
	Data []byte
	// Header and Body are Data parsed with net/mail (Header is nil if Data did not parse).
	Header mail.Header
	Body   []byte
}

// Server is a running test SMTP server. Its methods are safe for concurrent use.
type Server struct {
	ln  net.Listener
	wg  sync.WaitGroup
	log func(format string, args ...any)

	mu       sync.Mutex
	cond     *sync.Cond
	messages []Message
	failNext int
	failCode int
	rejected map[string]int // recipient → reply code
	user     string
	pass     string
	conns    map[net.Conn]bool
	closed   bool
	tls      *tls.Config
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s := &Server{ln: ln, rejected: map[string]int{}, conns: map[net.Conn]bool{}, log: t.Logf}
	s.cond = sync.NewCond(&s.mu)
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Addr returns the server's "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host returns "127.0.0.1".
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Messages returns a copy of the messages received so far, in order of acceptance.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages were received and returns them all, or returns an
// error after timeout.
func (s *Server) WaitFor(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.Now().Add(timeout)
	// sync.Cond has no timeout: a timer wakes the waiters when it fires.
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.messages) < n {
		if !time.Now().Before(deadline) {
			return append([]Message(nil), s.messages...), fmt.Errorf("smtptest: %d message(s) reçu(s) sur %d attendu(s)", len(s.messages), n)
		}
		s.cond.Wait()
	}
	return append([]Message(nil), s.messages...), nil
}

// FailNext makes the server answer code (e.g. 451 or 554) to the next n DATA commands.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failCode = n, code
}

// RejectRecipient makes RCPT TO for addr answer code (e.g. 550), until the test ends.
func (s *Server) RejectRecipient(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(addr)] = code
}

// RequireAuth makes the server demand AUTH PLAIN with these credentials before MAIL FROM.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// EnableSTARTTLS makes the server offer STARTTLS with a fresh self-signed certificate for
// 127.0.0.1, and returns a pool that trusts it (for the client's tls.Config RootCAs).
func (s *Server) EnableSTARTTLS(t testing.TB) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tls = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	return pool
}

// Close stops the server and waits for its connections to end. Start arranges for it to run
// when the test ends; calling it earlier simulates a relay going down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			s.handle(conn)
		}()
	}
}

// session is the state of one connection.
type session struct {
	tls     bool
	greeted bool
	authed  bool
	from    string
	hasFrom bool
	to      []string
}

func (s *Server) handle(conn net.Conn) {
	r := bufio.NewReader(conn)
	w := textproto.NewWriter(bufio.NewWriter(conn))
	reply := func(code int, msg string) error {
		return w.PrintfLine("%d %s", code, msg)
	}
	var st session
	if reply(220, "smtptest ESMTP prêt") != nil {
		return
	}
	for {
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
		line, err := readLine(r)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		switch verb {
		case "EHLO":
			st = session{tls: st.tls, greeted: true, authed: st.authed}
			ext := "250-8BITMIME\r\n250-AUTH PLAIN\r\n"
			if s.tlsConfig() != nil && !st.tls {
				ext += "250-STARTTLS\r\n"
			}
			err = w.PrintfLine("250-smtptest bonjour %s\r\n%s250 SMTPUTF8", arg, ext)
		case "HELO":
			st = session{tls: st.tls, greeted: true, authed: st.authed}
			err = reply(250, "smtptest")
		case "STARTTLS":
			cfg := s.tlsConfig()
			if cfg == nil || st.tls {
				err = reply(502, "5.5.1 STARTTLS indisponible")
				break
			}
			if err = reply(220, "2.0.0 allez-y"); err != nil {
				break
			}
			tconn := tls.Server(conn, cfg)
			if err = tconn.Handshake(); err != nil {
				break
			}
			// RFC 3207: the client starts over with EHLO on the encrypted channel.
			conn, r, w = tconn, bufio.NewReader(tconn), textproto.NewWriter(bufio.NewWriter(tconn))
			st = session{tls: true}
		case "AUTH":
			err = s.auth(r, w, &st, arg)
		case "MAIL":
			addr, ok := pathArg(arg, "FROM:")
			switch {
			case !st.greeted:
				err = reply(503, "5.5.1 EHLO d'abord")
			case !ok:
				err = reply(501, "5.5.4 syntaxe : MAIL FROM:<adresse>")
			case s.authRequired() && !st.authed:
				err = reply(530, "5.7.0 authentification requise")
			default:
				st.from, st.hasFrom, st.to = addr, true, nil
				err = reply(250, "2.1.0 ok")
			}
		case "RCPT":
			addr, ok := pathArg(arg, "TO:")
			switch {
			case !st.hasFrom:
				err = reply(503, "5.5.1 MAIL d'abord")
			case !ok || addr == "":
				err = reply(501, "5.5.4 syntaxe : RCPT TO:<adresse>")
			default:
				if code := s.rejectCode(addr); code != 0 {
					err = reply(code, enhanced(code, "1.1")+" destinataire refusé")
				} else {
					st.to = append(st.to, addr)
					err = reply(250, "2.1.5 ok")
				}
			}
		case "DATA":
			err = s.data(r, w, conn, &st)
		case "RSET":
			st = session{tls: st.tls, greeted: st.greeted, authed: st.authed}
			err = reply(250, "2.0.0 ok")
		case "NOOP":
			err = reply(250, "2.0.0 ok")
		case "QUIT":
			_ = reply(221, "2.0.0 au revoir")
			return
		default:
			err = reply(502, "5.5.2 commande non prise en charge")
		}
		if err != nil {
			return
		}
	}
}

func (s *Server) auth(r *bufio.Reader, w *textproto.Writer, st *session, arg string) error {
	mech, initial, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		return w.PrintfLine("504 5.5.4 mécanisme non pris en charge")
	}
	if initial == "" {
		if err := w.PrintfLine("334 "); err != nil {
			return err
		}
		line, err := readLine(r)
		if err != nil {
			return err
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		return w.PrintfLine("501 5.5.2 réponse illisible")
	}
	s.mu.Lock()
	user, pass := s.user, s.pass
	s.mu.Unlock()
	if user != "" && (parts[1] != user || parts[2] != pass) {
		return w.PrintfLine("535 5.7.8 identifiants refusés")
	}
	st.authed = true
	return w.PrintfLine("235 2.7.0 authentifié")
}

func (s *Server) data(r *bufio.Reader, w *textproto.Writer, conn net.Conn, st *session) error {
	if len(st.to) == 0 {
		return w.PrintfLine("503 5.5.1 RCPT d'abord")
	}
	s.mu.Lock()
	code := 0
	if s.failNext > 0 {
		s.failNext--
		code = s.failCode
	}
	s.mu.Unlock()
	if code != 0 {
		*st = session{tls: st.tls, greeted: st.greeted, authed: st.authed}
		return w.PrintfLine("%d %s", code, enhanced(code, "3.0")+" refusé par smtptest")
	}
	if err := w.PrintfLine("354 terminez par <CRLF>.<CRLF>"); err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	data, err := readDot(r)
	if err != nil {
		return err
	}
	m := Message{From: st.from, To: st.to, Data: data}
	if parsed, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		m.Header = parsed.Header
		m.Body, _ = io.ReadAll(parsed.Body)
	} else {
		s.log("smtptest: message illisible : %v", err)
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	n := len(s.messages)
	s.cond.Broadcast()
	s.mu.Unlock()
	*st = session{tls: st.tls, greeted: st.greeted, authed: st.authed}
	return w.PrintfLine("250 2.0.0 ok message %d", n)
}

func (s *Server) tlsConfig() *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tls
}

func (s *Server) authRequired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user != ""
}

func (s *Server) rejectCode(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[strings.ToLower(addr)]
}

// maxLine follows RFC 5321's 1000-octet line limit, with room for lenient clients.
const maxLine = 4096

// readLine reads a command line without its CRLF.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errors.New("smtptest: ligne trop longue")
		}
		return "", err
	}
	if len(line) > maxLine {
		return "", errors.New("smtptest: ligne trop longue")
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// readDot reads DATA up to the line holding a single dot, removes the dot a client doubled at
// the start of a line, and keeps the CRLF line ends.
func readDot(r *bufio.Reader) ([]byte, error) {
	var out bytes.Buffer
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		if bytes.Equal(line, []byte(".\r\n")) || bytes.Equal(line, []byte(".\n")) {
			return out.Bytes(), nil
		}
		if line[0] == '.' {
			line = line[1:]
		}
		out.Write(line)
		if out.Len() > 32<<20 {
			return nil, errors.New("smtptest: message trop gros")
		}
	}
}

// pathArg extracts the address of "FROM:<a@b> PARAMS" or "TO:<a@b>".
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// enhanced builds an RFC 3463 status for code: class from the code, detail given.
func enhanced(code int, detail string) string {
	return strconv.Itoa(code/100) + "." + detail
}
